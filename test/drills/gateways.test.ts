// The stock gateways as drilled parts: each preset comes up, holds steady state and moves traffic to the standby
// when the primary is killed, with the harness telling the replicas apart by the header the gateway sets. What is
// asserted is what the harness measured, not a threshold a third-party gateway may miss on a busy machine.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import type { Journal } from '../../harness/report/journal';
import type { Scenario } from '../../harness/scenario/load';
import { readSetupState } from '../../harness/setup/state';
import { ensureGatewayImage } from '../../harness/topology/gateways/images';
import { NGINX_CONFIG, nginxGateway } from '../../harness/topology/gateways/nginx';
import { builtInScenario, drill, GATE_RETRIES, onProtocol } from './gate';

const REPORT_DIR = join(projectRoot, 'reports', 'gateways');
const crash = builtInScenario('primary-crash');
const onGateway = (gateway: Scenario['topology']['gateway'], scenario: Scenario = crash): Scenario => ({ ...scenario, topology: { ...scenario.topology, gateway } });

/** What the harness must have measured on any gateway that fails over: answers told apart, the move timed. */
function expectFailoverMeasured(journal: Journal): void {
  const m = journal.measurements;
  expect(m).toBeDefined();
  // Before the fault the primary answers; a request stalled past the 250 ms attempt deadline on a busy machine
  // may be retried on the standby (seen: 2 of ~400), which is the gateway doing its job.
  const { primary = 0, standby = 0 } = m?.phases.baseline.servedBy ?? {};
  expect(standby).toBeLessThan(primary / 10);
  expect(m?.phases.fault.servedBy.standby).toBeGreaterThan(0);
  expect(m?.failoverMs).toEqual(expect.any(Number));
  expect(m?.wrongAnswers).toBe(0);
}

/**
 * A preset drill that measured a failover: run again (DRILL_RETRIES, as the gate) only when it did not. A stock
 * gateway may lose requests on a crash (that is a finding, not a failure here); what makes a run worth nothing is
 * the cascade seen under CPU pressure, Caddy taking a slow standby out too and answering 503 throughout.
 */
const presetDrill = (scenario: Scenario, dir: string) => drill(scenario, dir, {}, GATE_RETRIES, (j) => typeof j.measurements?.failoverMs === 'number');

let root: string;
let nginxImage: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gateways-'));
  nginxImage = await ensureGatewayImage(nginxGateway.image, readSetupState().baseImage);
}, 300_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type LongForm = Extract<Scenario['topology']['gateway'], object>;
/** nginx in the long form: the preset's own template and settings, as a scenario would spell them out. */
const nginxLongForm = (changes: Partial<LongForm> = {}): LongForm => ({ image: nginxImage, ...NGINX_CONFIG, command: [...NGINX_CONFIG.command], ...changes });

// Caddy's first build compiles it from its Go module (~90 s on 2 cores, once).
test.each(['nginx', 'haproxy', 'caddy'] as const)('the %s preset comes up, holds steady state and fails over to the standby on primary-crash', async (gateway) => {
  const { journal, summary } = await presetDrill(onGateway(gateway), join(REPORT_DIR, gateway));
  expect(journal.steadyState?.before).toMatchObject({ ok: true });
  if (!journal.measurements) throw new Error(`nothing measured:\n${summary}`);
  expectFailoverMeasured(journal);
}, 600_000);

// The presets proxy the Open Inference Protocol as they proxy /v1/rank: nothing in their configs names a path.
test.each(['nginx', 'haproxy', 'caddy'] as const)('the %s preset carries OIP v2 binary infer unchanged: answers judged right, and it fails over on primary-crash', async (gateway) => {
  const { journal, summary } = await presetDrill(onGateway(gateway, onProtocol(crash, 'oip-v2')), join(REPORT_DIR, `${gateway}-oip-v2`));
  expect(journal.environment.deployment).toMatchObject({ gateway, protocol: 'oip-v2 (binary tensors)' });
  if (!journal.measurements) throw new Error(`nothing measured:\n${summary}`);
  expectFailoverMeasured(journal);
  // Judged answers, not only status codes: the v2 decoder read every 200 (a mangled body would be wrong or an error).
  expect(journal.measurements.phases.baseline.latency.count).toBeGreaterThan(0);
}, 300_000);

test('nginx written in the long form gives the same drill as the preset', async () => {
  const { journal, summary } = await drill(onGateway(nginxLongForm()), join(REPORT_DIR, 'nginx-long-form'));
  if (!journal.measurements) throw new Error(`nothing measured:\n${summary}`);
  expectFailoverMeasured(journal);
  // nginx retries the killed primary's requests on the standby: the preset loses none, and neither may this.
  expect(journal.measurements.errors).toBe(0);
  // It said so in its error log, which the report keeps: each retried request is logged ("upstream prematurely
  // closed connection", "connect() failed", ...) against the primary's upstream.
  expect(journal.diagnosis.gateway?.logTail.join('\n')).toMatch(/\[error\].*upstream/);
}, 300_000);

test('a servedBy that never matches ends the drill as an error that says so, not as a failed drill', async () => {
  const neverMatches = { header: 'x-upstream', primary: 'primary.example:1', standby: 'standby.example:2' };
  const scenario = onGateway(nginxLongForm({ servedBy: neverMatches }), { ...crash, steadyState: { ...crash.steadyState, timeout: 2000 } });
  const { journal } = await drill(scenario, join(REPORT_DIR, 'served-by-never-matches'));
  expect(journal.verdict).toBe('error');
  expect(journal.diagnosis.firstFailure).toContain('no answer was attributed to the primary; check servedBy');
}, 120_000);

test('a gateway that does not open the port it is said to listen on is an infrastructure error naming the port', async () => {
  // The template listens on 8080 whatever the scenario says; the scenario says 9090.
  const template = join(root, 'nginx-fixed-port.conf');
  await writeFile(template, (await readFile(nginxLongForm().config, 'utf8')).replace('listen {{listenPort}};', 'listen 8080;'));
  const { journal } = await drill(onGateway(nginxLongForm({ config: template, port: 9090 })), join(REPORT_DIR, 'wrong-port'));
  expect(journal.verdict).toBe('error');
  expect(journal.diagnosis.firstFailure).toMatch(/did not answer GET \/healthz on port 9090/);
}, 120_000);
