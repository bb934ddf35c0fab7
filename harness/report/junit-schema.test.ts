// The JUnit file must be valid against a published schema, checked with a real validator: Jenkins xunit-plugin's
// junit-10.xsd (what Jenkins and pytest validate against), fetched by `npm run setup`, run through libxml2
// (xmllint-wasm). Same renderer for `drill run` and the jest gate (reports/gate/junit.xml).
import { existsSync, readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { junitSchemaPath } from '../setup/state';
import { erroredJournal, passingJournal, retried } from '../../test/report/attempts';
import { hostileJournal, recordedJournal } from '../../test/report/journals';
import { renderJunit } from './junit';

function schema(): string {
  const path = junitSchemaPath();
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run setup\` (it fetches the published JUnit schema)`);
  return readFileSync(path, 'utf8');
}

async function validate(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [{ fileName: 'junit-10.xsd', contents: schema() }] });
  return result.errors.map((e) => e.message);
}

it('renders JUnit XML that is valid against junit-10.xsd, for passing, failing, errored and hostile drills', async () => {
  const passing = recordedJournal();
  const failing = hostileJournal('hostile');
  const errored = { ...recordedJournal(), scenario: { ...passing.scenario, name: 'errored' }, verdict: 'error' as const, thresholds: [] };
  expect(await validate(renderJunit([passing, failing, errored]))).toEqual([]);
});

// junit-10.xsd declares Surefire's rerun elements (flakyFailure, flakyError, rerunFailure, rerunError: message,
// required type, then optional stackTrace, system-out, system-err), so drills run again are held to the same schema.
it('renders valid JUnit XML for drills run again: flaky passes, and failures and errors on every attempt', async () => {
  const flaky = await retried(recordedJournal(), erroredJournal(), passingJournal());
  const failedEvery = await retried({ ...hostileJournal('failed-every'), verdict: 'fail' }, hostileJournal('failed-every'));
  const erroredLast = await retried(recordedJournal(), erroredJournal(), erroredJournal());
  const xml = renderJunit([flaky, failedEvery, erroredLast]);
  expect(new Set(xml.match(/<(flakyFailure|flakyError|rerunFailure|rerunError) /g))).toEqual(new Set(['<flakyError ', '<flakyFailure ', '<rerunError ', '<rerunFailure ']));
  expect(await validate(xml)).toEqual([]);
});

it('the validator is real: it rejects a document the schema does not allow', async () => {
  const xml = renderJunit([recordedJournal()]).replace(/<testcase /, '<testcase bogus="1" ');
  expect((await validate(xml)).join('\n')).toMatch(/bogus/);
});
