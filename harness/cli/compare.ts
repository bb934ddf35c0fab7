// `drill compare`: the same drills against several gateways, interleaved (drill A on each gateway, then drill B,
// round after round) so the machine's noise falls on every gateway alike. Writes reports/compare/compare.md and
// index.html: one row per drill, one cell per gateway, each cell linking to its runs' drill pages.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { parseInteger } from '../../services/common/cli';
import { ExitCode, InvalidInputError } from '../errors';
import { ms } from '../report/format';
import type { Journal } from '../report/journal';
import { escapeHtml } from '../report/page/template';
import { writeJournal } from '../report/write';
import { runScenario } from '../runner';
import type { Report } from '../scenario/checks';
import { checkGateway } from '../scenario/gateway';
import { loadScenarios, type Scenario } from '../scenario/load';
import { GATEWAY_KIND_NAMES, type GatewayKindName } from '../topology/gateways';
import { TopologyPool } from '../topology/pool';
import { interruptOnSignal } from './interrupt';
import { progressReporter } from './progress';
import { median } from '../measure/numbers';

/** One drill on one gateway in one round: its journal and where its page is, or why the pairing was refused. */
export interface CompareRun {
  journal?: Journal;
  /** The drill page, relative to the compare report. */
  page?: string;
  refused?: string;
}

export interface CompareRow {
  drill: string;
  /** Per gateway, one run per round. */
  runs: Record<string, CompareRun[]>;
}

function parseGateways(value: string): GatewayKindName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(GATEWAY_KIND_NAMES as string[]).includes(n));
  if (unknown.length || names.length === 0) throw new InvalidInputError(`--gateways: unknown gateway ${unknown.map((u) => `"${u}"`).join(', ') || '(none given)'}; allowed: ${GATEWAY_KIND_NAMES.join(', ')}`);
  return names as GatewayKindName[];
}

/** The drill on `gateway`, or why it cannot run there (a setting only the reference gateway honours). */
function onGateway(scenario: Scenario, gateway: GatewayKindName): Scenario | string {
  const moved = { ...scenario, topology: { ...scenario.topology, gateway } };
  const problems: string[] = [];
  const report: Report = (path, message) => problems.push(`${path.join('.')}: ${message}`);
  checkGateway(moved, scenario.file, report);
  return problems[0] ?? moved;
}

/** "46.2 ms (31.0–80.4)" over the rounds that measured it; "never" when some round measured nothing. */
function spread(values: (number | null | undefined)[]): string {
  const got = values.filter((v): v is number => typeof v === 'number');
  if (got.length === 0) return 'never';
  const range = got.length > 1 ? ` (${Math.min(...got).toFixed(1)}–${Math.max(...got).toFixed(1)})` : '';
  return `${ms(median(got))}${range}${got.length < values.length ? ` never ×${values.length - got.length}` : ''}`;
}

/** One cell's facts, as text lines: verdict n/N, failed requests, failover, fault-window p99, fail-back, why. */
export function cellLines(runs: readonly CompareRun[]): string[] {
  const refused = runs.find((r) => r.refused);
  if (refused) return [`not run: ${refused.refused}`];
  const journals = runs.map((r) => r.journal).filter((j): j is Journal => j !== undefined);
  const m = journals.map((j) => j.measurements);
  const why = journals.filter((j) => j.verdict !== 'pass').map((j) => `${j.verdict}: ${j.diagnosis.firstFailure ?? 'no reason recorded'}`);
  return [
    `${journals.filter((j) => j.verdict === 'pass').length}/${journals.length} pass`,
    `failed ${m.map((x) => x?.errors ?? '–').join('/')}`,
    `failover ${spread(m.map((x) => x?.failoverMs))}`,
    `p99 fault ${spread(m.map((x) => x?.phases.fault.requests ? x.phases.fault.latency.p99Ms : undefined))}`,
    `fail-back ${spread(m.map((x) => x?.failbackMs))}`,
    ...[...new Set(why)].map((w) => `why: ${w.split('\n')[0]}`),
  ];
}

const runLinks = (runs: readonly CompareRun[], link: (text: string, href: string) => string): string =>
  runs.map((r, i) => (r.page ? link(`r${i + 1}`, r.page) : '')).filter(Boolean).join(' ');

export function compareMarkdown(rows: readonly CompareRow[], gateways: readonly string[], heading: string): string {
  const cell = (runs: readonly CompareRun[]): string => [...cellLines(runs), runLinks(runs, (t, h) => `[${t}](${h})`)].filter(Boolean).join('<br>').replace(/\|/g, '\\|');
  return [
    heading,
    '',
    `| drill | ${gateways.join(' | ')} |`,
    `|---|${gateways.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.drill} | ${gateways.map((g) => cell(row.runs[g] ?? [])).join(' | ')} |`),
    '',
  ].join('\n');
}

export function compareHtml(rows: readonly CompareRow[], gateways: readonly string[], heading: string): string {
  const cell = (runs: readonly CompareRun[]): string =>
    `<td>${cellLines(runs).map((l) => `<div${l.startsWith('why') ? ' class="why"' : ''}>${escapeHtml(l)}</div>`).join('')}<div>${runLinks(runs, (t, h) => `<a href="${escapeHtml(h)}">${t}</a>`)}</div></td>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>failover-drill: gateways compared</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em .6em;vertical-align:top}.why{color:#a00}</style></head>
<body><h1>Gateways compared</h1><p>${escapeHtml(heading)}</p><table><tr><th>drill</th>${gateways.map((g) => `<th>${escapeHtml(g)}</th>`).join('')}</tr>
${rows.map((row) => `<tr><th>${escapeHtml(row.drill)}</th>${gateways.map((g) => cell(row.runs[g] ?? [])).join('')}</tr>`).join('\n')}
</table></body></html>
`;
}

interface CompareOptions {
  gateways: GatewayKindName[];
  rounds: number;
  reportDir: string;
}

async function compare(paths: string[], opts: CompareOptions): Promise<number> {
  const scenarios = loadScenarios(paths);
  const reportDir = resolve(opts.reportDir);
  const rows: CompareRow[] = scenarios.map((s) => ({ drill: s.name, runs: Object.fromEntries(opts.gateways.map((g) => [g, [] as CompareRun[]])) }));
  const started = Date.now();
  const progress = progressReporter();
  const controller = new AbortController();
  const release = interruptOnSignal(controller);
  const topologies = new TopologyPool();
  const write = (): void => {
    const heading = `${scenarios.length} drill(s) × ${opts.gateways.length} gateway(s) × ${opts.rounds} round(s), interleaved; ${new Date().toISOString().slice(0, 10)}, ${((Date.now() - started) / 60_000).toFixed(1)} min`;
    writeFileSync(join(reportDir, 'compare.md'), compareMarkdown(rows, opts.gateways, heading));
    writeFileSync(join(reportDir, 'index.html'), compareHtml(rows, opts.gateways, heading));
  };
  mkdirSync(reportDir, { recursive: true });
  try {
    rounds: for (let round = 1; round <= opts.rounds; round++) {
      for (const [i, scenario] of scenarios.entries()) {
        for (const gateway of opts.gateways) {
          if (controller.signal.aborted) break rounds;
          const runs = (rows[i] as CompareRow).runs[gateway] as CompareRun[];
          const moved = onGateway(scenario, gateway);
          if (typeof moved === 'string') {
            runs.push({ refused: moved });
            continue;
          }
          const journal = await runScenario(moved, { onEvent: (e) => progress.onEvent(e), signal: controller.signal, topologies });
          progress.stop();
          const dir = join(reportDir, gateway, `round-${round}`);
          writeJournal(dir, journal);
          runs.push({ journal, page: relative(reportDir, join(dir, scenario.name, 'index.html')) });
          console.log(`drill compare: round ${round}/${opts.rounds}, ${scenario.name} on ${gateway}: ${journal.verdict}`);
          write();
        }
      }
    }
  } finally {
    progress.stop();
    await topologies[Symbol.asyncDispose]();
    release();
  }
  write();
  console.log(`drill compare: ${join(reportDir, 'compare.md')} and index.html`);
  return controller.signal.aborted ? ExitCode.interrupted : ExitCode.pass;
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('run the same drills against several gateways, interleaved, N rounds; writes compare.md and index.html (exit 0 unless it could not run)')
    .argument('[paths...]', 'scenario files or directories', ['scenarios'])
    .option('--gateways <list>', `comma-separated, from ${GATEWAY_KIND_NAMES.join(', ')}`, parseGateways, [...GATEWAY_KIND_NAMES])
    .option('--rounds <n>', 'rounds of every drill on every gateway', parseInteger(1, 20), 3)
    .option('--report-dir <dir>', 'where compare.md, index.html and <gateway>/round-<n>/<drill>/ go', join('reports', 'compare'))
    .action(async function (this: Command, paths: string[], opts: CompareOptions) {
      // The exit code travels like `drill run`'s: as an option value on the root command.
      (this.parent as Command).setOptionValue('exitCode', await compare(paths, opts));
    });
}
