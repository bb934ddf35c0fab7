// Every built-in drill through the same runner as `drill run` (images already built), one after another:
// wall time per drill and in all (the gate's speed), and with DRILL_REPEATS=N each drill N times in a row with
// its verdicts and the spread of its failover time (the gate's stability). Read here, never asserted in a timed test.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../harness/paths';
import { prepare } from '../harness/prepare';
import { runScenario } from '../harness/runner';
import { loadScenarios } from '../harness/scenario/load';
import { percentile } from './stats';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const median = (xs: readonly number[]): number => percentile(xs, 50);
const spread = (xs: readonly number[]): string =>
  xs.length ? `${Math.min(...xs).toFixed(1)} / ${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}` : '-';

export async function run(): Promise<void> {
  const repeats = Number(process.env.DRILL_REPEATS ?? 1);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`DRILL_REPEATS must be a positive integer, got ${process.env.DRILL_REPEATS}`);
  const scenarios = loadScenarios([join(projectRoot, 'scenarios')]);
  const prepareStarted = performance.now();
  await prepare();
  const prepareMs = performance.now() - prepareStarted;
  console.log(`each drill ${repeats} time(s) in a row; failover ms as min / median / max over the runs that measured one`);
  console.log('| drill | verdicts | wall s (median) | failover ms | errors (max) | wrong (max) |');
  console.log('|---|---|---:|---|---:|---:|');
  let total = 0;
  for (const scenario of scenarios) {
    const walls: number[] = [];
    const failovers: number[] = [];
    const verdicts: Record<string, number> = {};
    let errors = 0;
    let wrong = 0;
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      const journal = await runScenario(scenario);
      walls.push(performance.now() - started);
      verdicts[journal.verdict] = (verdicts[journal.verdict] ?? 0) + 1;
      const m = journal.measurements;
      if (m?.failoverMs != null) failovers.push(m.failoverMs);
      errors = Math.max(errors, m?.errors ?? 0);
      wrong = Math.max(wrong, m?.wrongAnswers ?? 0);
    }
    total += walls.reduce((a, b) => a + b, 0);
    const verdictText = Object.entries(verdicts).map(([v, n]) => `${n} ${v}`).join(', ');
    console.log(`| ${scenario.name} | ${verdictText} | ${seconds(median(walls))} | ${spread(failovers)} | ${errors} | ${wrong} |`);
  }
  console.log(`${scenarios.length} drills x ${repeats}: ${seconds(total)} s in all, plus ${seconds(prepareMs)} s to prepare (model, images)`);
}
