// Every built-in drill through the same runner as `drill run` and the gate (images already built, consecutive
// drills sharing a topology): wall time per drill and in all (the gate's speed). With DRILL_REPEATS=N the whole
// set runs N rounds, in gate order, and each drill shows its verdicts and the spread of its failover time (the
// gate's stability). Journals of drills that did not pass are kept in reports/bench-drills/ for diagnosis.
// Read here, never asserted in a timed test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../harness/paths';
import { prepare } from '../harness/prepare';
import { writeJournal } from '../harness/report/write';
import { runScenario } from '../harness/runner';
import { loadScenarios } from '../harness/scenario/load';
import { TopologyPool } from '../harness/topology/pool';
import { percentile } from './stats';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const median = (xs: readonly number[]): number => percentile(xs, 50);
const spread = (xs: readonly number[]): string =>
  xs.length ? `${Math.min(...xs).toFixed(1)} / ${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}` : '-';

interface DrillStats {
  walls: number[];
  fresh: number[];
  resets: number[];
  failovers: number[];
  verdicts: Record<string, number>;
  errors: number;
  wrong: number;
  failures: string[];
}

export async function run(): Promise<void> {
  const repeats = Number(process.env.DRILL_REPEATS ?? 1);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`DRILL_REPEATS must be a positive integer, got ${process.env.DRILL_REPEATS}`);
  const scenarios = loadScenarios([join(projectRoot, 'scenarios')]);
  const keepDir = join(projectRoot, 'reports', 'bench-drills');
  const prepareStarted = performance.now();
  await prepare();
  const prepareMs = performance.now() - prepareStarted;
  const stats = new Map<string, DrillStats>(scenarios.map((s) => [s.name, { walls: [], fresh: [], resets: [], failovers: [], verdicts: {}, errors: 0, wrong: 0, failures: [] }]));
  const rounds: number[] = [];
  for (let round = 1; round <= repeats; round++) {
    const roundStarted = performance.now();
    const topologies = new TopologyPool();
    try {
      for (const scenario of scenarios) {
        const s = stats.get(scenario.name) as DrillStats;
        const started = performance.now();
        const journal = await runScenario(scenario, { topologies });
        s.walls.push(performance.now() - started);
        (journal.topology?.reused ? s.resets : s.fresh).push(journal.timing.topologyUpMs ?? 0);
        s.verdicts[journal.verdict] = (s.verdicts[journal.verdict] ?? 0) + 1;
        const m = journal.measurements;
        if (m?.failoverMs != null) s.failovers.push(m.failoverMs);
        s.errors = Math.max(s.errors, m?.errors ?? 0);
        s.wrong = Math.max(s.wrong, m?.wrongAnswers ?? 0);
        if (journal.verdict !== 'pass') {
          s.failures.push(`${scenario.name}, round ${round}: ${journal.verdict}: ${journal.diagnosis.firstFailure ?? ''}`);
          writeJournal(join(keepDir, `round-${round}`), journal);
        }
      }
    } finally {
      await topologies[Symbol.asyncDispose]();
    }
    rounds.push(performance.now() - roundStarted);
    if (repeats > 1) {
      console.error(`round ${round}/${repeats}: ${seconds(rounds[rounds.length - 1] as number)} s`);
      // The table so far, so a long run stopped early still leaves its figures.
      mkdirSync(keepDir, { recursive: true });
      writeFileSync(join(keepDir, 'table.md'), `${table(scenarios.map((sc) => sc.name), stats, rounds, round, prepareMs, keepDir)}\n`);
    }
  }
  console.log(table(scenarios.map((sc) => sc.name), stats, rounds, repeats, prepareMs, keepDir));
}

function table(names: readonly string[], stats: Map<string, DrillStats>, rounds: readonly number[], repeats: number, prepareMs: number, keepDir: string): string {
  const lines = [
    `${repeats} round(s) of every drill in gate order; topology: start (fresh) or reset (reused) ms, median; failover ms as min / median / max`,
    '| drill | verdicts | wall s (median) | topology fresh / reset ms | failover ms | errors (max) | wrong (max) |',
    '|---|---|---:|---|---|---:|---:|',
  ];
  for (const name of names) {
    const s = stats.get(name) as DrillStats;
    const verdictText = Object.entries(s.verdicts).map(([v, n]) => `${n} ${v}`).join(', ');
    const topo = `${s.fresh.length ? `${median(s.fresh).toFixed(0)} (${s.fresh.length})` : '-'} / ${s.resets.length ? `${median(s.resets).toFixed(0)} (${s.resets.length})` : '-'}`;
    lines.push(`| ${name} | ${verdictText} | ${seconds(median(s.walls))} | ${topo} | ${spread(s.failovers)} | ${s.errors} | ${s.wrong} |`);
  }
  lines.push(`${names.length} drills x ${repeats}: a round took ${spread(rounds.map((ms) => ms / 1000))} s (min / median / max), plus ${seconds(prepareMs)} s to prepare (model, images)`);
  const failures = [...stats.values()].flatMap((s) => s.failures);
  if (failures.length) lines.push(`\nnot passed (journals in ${keepDir}):\n${failures.join('\n')}`);
  return lines.join('\n');
}
