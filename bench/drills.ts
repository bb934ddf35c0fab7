// Every built-in drill through the same runner as `drill run` and the gate (images already built, consecutive
// drills sharing a topology): wall time per drill and in all (the gate's speed). With --rounds N the whole set
// runs N rounds, in gate order, and each drill shows its verdicts and the spread of its failover time and fault
// window p99 (the gate's stability); with --noise N, N busy-looping neighbour processes run throughout, as on a
// shared CI runner, and each drill shows the CPU pressure it ran under. Journals of drills that did not pass are
// kept in reports/bench-drills/ for diagnosis. Read here, never asserted in a timed test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../harness/paths';
import { prepare } from '../harness/prepare';
import { writeJournal } from '../harness/report/write';
import { runScenario } from '../harness/runner';
import { loadScenarios, type Scenario } from '../harness/scenario/load';
import { TopologyPool } from '../harness/topology/pool';
import { pressureBetween, readCpuTimes, readPressure, stealBetween } from '../harness/measure/pressure';
import { startNoise } from './noise';
import { median, spread } from './stats';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

interface DrillStats {
  walls: number[];
  fresh: number[];
  resets: number[];
  failovers: number[];
  faultP99s: number[];
  /** CPU pressure (%) over each run of the drill. */
  pressures: number[];
  /** The hypervisor's steal (% of the machine's CPU time) over each run, where /proc/stat has it. */
  steals: number[];
  verdicts: Record<string, number>;
  errors: number;
  wrong: number;
  failures: string[];
}

export interface DrillBenchOptions {
  /** Rounds of the whole set (default 1). */
  rounds?: number;
  /** Busy-looping neighbour processes running throughout (default 0). */
  noise?: number;
}

export async function run({ rounds: repeats = 1, noise = 0 }: DrillBenchOptions = {}): Promise<void> {
  const scenarios = loadScenarios([join(projectRoot, 'scenarios')]);
  const names = scenarios.map((sc) => sc.name);
  const keepDir = join(projectRoot, 'reports', 'bench-drills');
  const prepareStarted = performance.now();
  await prepare();
  const prepareMs = performance.now() - prepareStarted;
  const stats = new Map<string, DrillStats>(names.map((name) => [name, { walls: [], fresh: [], resets: [], failovers: [], faultP99s: [], pressures: [], steals: [], verdicts: {}, errors: 0, wrong: 0, failures: [] }]));
  const rounds: number[] = [];
  const neighbours = startNoise(noise);
  try {
    for (let round = 1; round <= repeats; round++) {
      rounds.push(await runRound(scenarios, stats, round, keepDir));
      if (repeats === 1) continue;
      console.error(`round ${round}/${repeats}: ${seconds(rounds[rounds.length - 1] as number)} s`);
      // The table so far, so a long run stopped early still leaves its figures.
      mkdirSync(keepDir, { recursive: true });
      writeFileSync(join(keepDir, 'table.md'), `${table(names, stats, rounds, round, noise, prepareMs, keepDir)}\n`);
    }
  } finally {
    neighbours.stop();
  }
  console.log(table(names, stats, rounds, repeats, noise, prepareMs, keepDir));
}

/** One round of every drill on shared topologies; returns its wall time in ms. */
async function runRound(scenarios: readonly Scenario[], stats: Map<string, DrillStats>, round: number, keepDir: string): Promise<number> {
  const roundStarted = performance.now();
  const topologies = new TopologyPool();
  try {
    for (const scenario of scenarios) {
      const s = stats.get(scenario.name) as DrillStats;
      const started = performance.now();
      const before = { pressure: readPressure(), times: readCpuTimes() };
      const journal = await runScenario(scenario, { topologies });
      s.pressures.push(pressureBetween(before.pressure, readPressure()).percent);
      const steal = stealBetween(before.times, readCpuTimes());
      if (steal !== null) s.steals.push(steal);
      s.walls.push(performance.now() - started);
      (journal.topology?.reused ? s.resets : s.fresh).push(journal.timing.topologyUpMs ?? 0);
      s.verdicts[journal.verdict] = (s.verdicts[journal.verdict] ?? 0) + 1;
      const m = journal.measurements;
      if (m?.failoverMs != null) s.failovers.push(m.failoverMs);
      if (m?.phases.fault.latency.p99Ms != null) s.faultP99s.push(m.phases.fault.latency.p99Ms);
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
  return performance.now() - roundStarted;
}

function table(names: readonly string[], stats: Map<string, DrillStats>, rounds: readonly number[], repeats: number, noise: number, prepareMs: number, keepDir: string): string {
  const lines = [
    `${repeats} round(s) of every drill in gate order, ${noise} busy-looping neighbour process(es); topology: start (fresh) or reset (reused) ms, median; ` +
      `failover, fault-window p99, CPU pressure (${readPressure().source}, % of the drill's wall time) and steal (% of the machine's CPU time its hypervisor gave to others) as min / median / max`,
    '| drill | verdicts | wall s (median) | topology fresh / reset ms | failover ms | p99 in fault window ms | CPU pressure % | steal % | errors (max) | wrong (max) |',
    '|---|---|---:|---|---|---|---|---|---:|---:|',
  ];
  for (const name of names) {
    const s = stats.get(name) as DrillStats;
    const verdictText = Object.entries(s.verdicts).map(([v, n]) => `${n} ${v}`).join(', ');
    const topo = `${s.fresh.length ? `${median(s.fresh).toFixed(0)} (${s.fresh.length})` : '-'} / ${s.resets.length ? `${median(s.resets).toFixed(0)} (${s.resets.length})` : '-'}`;
    lines.push(`| ${name} | ${verdictText} | ${seconds(median(s.walls))} | ${topo} | ${spread(s.failovers)} | ${spread(s.faultP99s)} | ${spread(s.pressures)} | ${spread(s.steals)} | ${s.errors} | ${s.wrong} |`);
  }
  lines.push(`${names.length} drills x ${repeats}: a round took ${spread(rounds.map((ms) => ms / 1000))} s (min / median / max), plus ${seconds(prepareMs)} s to prepare (model, images)`);
  const failures = [...stats.values()].flatMap((s) => s.failures);
  if (failures.length) lines.push(`\nnot passed (journals in ${keepDir}):\n${failures.join('\n')}`);
  return lines.join('\n');
}
