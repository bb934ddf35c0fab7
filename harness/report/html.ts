// HTML reports: one self-contained page per drill (uPlot inlined, no network needed) and an index per run.
// Rendered from journals only: every figure on the page is read from the journal, never recomputed.
import { readFileSync } from 'node:fs';
import type { PhaseMeasurements } from '../measure/measure';
import type { Journal, JournalFault, SteadyStateCheck } from './journal';

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

const renderPart = (part: Part): string => {
  if (part instanceof SafeHtml) return part.markup;
  if (Array.isArray(part)) return part.map(renderPart).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
};

/** Tagged template that escapes every interpolated value unless it is SafeHtml (or an array of them). */
function html(strings: TemplateStringsArray, ...parts: Part[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < parts.length ? renderPart(parts[i] as Part) : ''), ''));
}

/** JSON inside <script>: `<`, `>`, `&` and the JS line separators are escaped so no text can close the element. */
const scriptJson = (value: unknown): SafeHtml =>
  new SafeHtml(JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** An inlined library must not end its <script> element early. */
const inlineScript = (source: string): SafeHtml => new SafeHtml(source.replace(/<\/(script)/gi, '<\\/$1'));

const readAsset = (path: string): string => readFileSync(require.resolve(path), 'utf8');

// Container logs carry terminal colour codes; on a page they are noise.
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');

const ms = (v: number | null | undefined, never = '–'): string => (v === null || v === undefined ? never : `${v.toFixed(1)} ms`);
const seconds = (v: number | undefined): string => (v === undefined ? '–' : `${(v / 1000).toFixed(1)} s`);

const REPLICA_COLORS: Record<string, string> = { primary: '#2563eb', standby: '#0d9488' };
const EXTRA_COLORS = ['#9333ea', '#ca8a04', '#db2777', '#4b5563'];
const FAILED_COLOR = '#dc2626';
const WRONG_COLOR = '#000000';

const replicaColor = (name: string, others: string[]): string =>
  REPLICA_COLORS[name] ?? EXTRA_COLORS[others.indexOf(name) % EXTRA_COLORS.length] ?? '#4b5563';

/** What the timeline chart plots, embedded in the page as JSON. */
export interface TimelineData {
  /** Send time of each request, seconds from the start of the load; one entry per request. */
  xs: number[];
  /** Each request's latency appears in exactly one series, null in the others. */
  series: { label: string; kind: 'replica' | 'failed' | 'wrong'; color: string; count: number; ys: (number | null)[] }[];
  faults: { label: string; from: number; to: number; reverted: boolean }[];
  events: { label: string; at: number }[];
}

/**
 * Splits the journal's records by how each request ended: a wrong answer, a failed request (no 2xx), or a
 * good answer from the replica that served it.
 */
export function timelineData(journal: Journal): TimelineData {
  const r = journal.records ?? { sentMs: [], doneMs: [], status: [], servedBy: [], wrong: [], error: [] };
  const replicas = [...new Set(r.servedBy.filter((s): s is string => s !== null))]
    .sort((a, b) => (a in REPLICA_COLORS ? 0 : 1) - (b in REPLICA_COLORS ? 0 : 1) || a.localeCompare(b));
  const others = replicas.filter((s) => !(s in REPLICA_COLORS));
  // Keyed apart from replica names, so a replica called "failed" still gets its own series.
  const groups = [
    ...replicas.map((name) => ({ key: `replica ${name}`, label: name, kind: 'replica', color: replicaColor(name, others) }) as const),
    { key: 'unknown', label: 'unknown replica', kind: 'replica', color: '#4b5563' } as const,
    { key: 'failed', label: 'failed', kind: 'failed', color: FAILED_COLOR } as const,
    { key: 'wrong', label: 'wrong answer', kind: 'wrong', color: WRONG_COLOR } as const,
  ];
  const ys = new Map<string, (number | null)[]>(groups.map((g) => [g.key, r.sentMs.map(() => null)]));
  r.sentMs.forEach((sent, i) => {
    const status = r.status[i] ?? 0;
    const servedBy = r.servedBy[i];
    const key = r.wrong[i] ? 'wrong' : status < 200 || status >= 300 ? 'failed' : servedBy ? `replica ${servedBy}` : 'unknown';
    // A log scale cannot show 0 ms; 0.01 ms is far below anything a network hop takes.
    (ys.get(key) as (number | null)[])[i] = Math.max((r.doneMs[i] ?? sent) - sent, 0.01);
  });
  const series = groups.map(({ key, label, kind, color }) => {
    const values = ys.get(key) as (number | null)[];
    return { label, kind, color, count: values.filter((v) => v !== null).length, ys: values };
  }).filter((s) => s.count > 0 || s.kind !== 'replica'); // failed and wrong stay in the legend even at 0

  const loadEnd = journal.timing.loadMs ?? r.sentMs[r.sentMs.length - 1] ?? 0;
  const faults = journal.faults
    .filter((f): f is JournalFault & { injectedAtMs: number } => f.injectedAtMs !== undefined)
    .map((f) => ({ label: `${f.fault} ${f.target}`, from: f.injectedAtMs / 1000, to: (f.revertedAtMs ?? loadEnd) / 1000, reverted: f.revertedAtMs !== undefined }));
  const events: TimelineData['events'] = [];
  const m = journal.measurements;
  const firstInjection = journal.faults[0]?.injectedAtMs;
  if (m?.failoverMs != null && firstInjection !== undefined) {
    events.push({ label: `standby steady (failover ${ms(m.failoverMs)})`, at: (firstInjection + m.failoverMs) / 1000 });
  }
  const reverts = journal.faults.flatMap((f) => (f.revertedAtMs === undefined ? [] : [f.revertedAtMs]));
  if (m?.failbackMs != null && reverts.length > 0) {
    events.push({ label: `primary steady (fail-back ${ms(m.failbackMs)})`, at: (Math.max(...reverts) + m.failbackMs) / 1000 });
  }
  return { xs: r.sentMs.map((s) => s / 1000), series, faults, events };
}

// Runs in the browser: builds the uPlot chart from the embedded JSON, shades the fault windows, marks failed
// requests with crosses and wrong answers with black diamonds, and exposes the plotted point count for tests.
const CHART_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('timeline-data').textContent);
  var el = document.getElementById('timeline');
  if (data.xs.length === 0) {
    el.textContent = 'No requests were recorded: the drill ended before its load ran.';
    window.__drillReport = { points: 0 };
    return;
  }
  var dpr = window.devicePixelRatio || 1;
  function shapePath(draw) {
    return function (u, si, i0, i1) {
      var p = new Path2D(), xs = u.data[0], ys = u.data[si];
      for (var i = i0; i <= i1; i++) {
        if (ys[i] == null) continue;
        draw(p, u.valToPos(xs[i], 'x', true), u.valToPos(ys[i], 'y', true), 3.5 * dpr);
      }
      return { stroke: p, fill: p };
    };
  }
  var cross = shapePath(function (p, x, y, r) { p.moveTo(x - r, y - r); p.lineTo(x + r, y + r); p.moveTo(x - r, y + r); p.lineTo(x + r, y - r); });
  var diamond = shapePath(function (p, x, y, r) { p.moveTo(x, y - r); p.lineTo(x + r, y); p.lineTo(x, y + r); p.lineTo(x - r, y); p.closePath(); });
  var series = [{ label: 'sent at', value: function (u, v) { return v == null ? '–' : v.toFixed(3) + ' s'; } }];
  data.series.forEach(function (s) {
    var points = { show: true, size: 4, width: 1, stroke: s.color, fill: s.color };
    if (s.kind === 'failed') { points.paths = cross; points.width = 1.5; points.fill = null; }
    if (s.kind === 'wrong') { points.paths = diamond; }
    series.push({ label: s.label + ' (' + s.count + ')', stroke: s.color, fill: s.kind === 'failed' ? null : s.color, paths: function () { return null; }, points: points,
      value: function (u, v) { return v == null ? '–' : v.toFixed(1) + ' ms'; } });
  });
  function xPos(u, s) { return u.valToPos(s, 'x', true); }
  function shadeFaults(u) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    data.faults.forEach(function (f) {
      var x0 = Math.max(xPos(u, f.from), b.left), x1 = Math.min(xPos(u, f.to), b.left + b.width);
      if (x1 <= x0) return;
      ctx.fillStyle = 'rgba(245, 158, 11, 0.16)';
      ctx.fillRect(x0, b.top, x1 - x0, b.height);
      ctx.fillStyle = 'rgba(180, 83, 9, 0.9)';
      ctx.fillRect(x0, b.top, 2 * dpr, b.height);
    });
    ctx.restore();
  }
  function labelFaultsAndEvents(u) {
    var ctx = u.ctx, b = u.bbox, line = 14 * dpr;
    ctx.save();
    ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left'; // uPlot leaves its axis labels' alignment on the context
    data.faults.forEach(function (f, i) {
      var x = Math.max(xPos(u, f.from), b.left);
      ctx.fillStyle = '#92400e';
      ctx.fillText('fault: ' + f.label + (f.reverted ? '' : ' (not reverted)'), x + 4 * dpr, b.top + 4 * dpr + i * line);
    });
    data.events.forEach(function (e, i) {
      var x = xPos(u, e.at);
      if (x < b.left || x > b.left + b.width) return;
      ctx.strokeStyle = '#334155';
      ctx.lineWidth = dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
      ctx.fillStyle = '#334155';
      var text = e.label, w = ctx.measureText(text).width;
      var tx = x + 4 * dpr + w > b.left + b.width ? x - 4 * dpr - w : x + 4 * dpr;
      ctx.fillText(text, tx, b.top + b.height - (i + 1) * line - 2 * dpr);
    });
    ctx.restore();
  }
  var u = new uPlot({
    width: el.clientWidth, height: 380,
    scales: { x: { time: false }, y: { distr: 3, log: 10 } },
    axes: [
      { label: 'send time (s)', stroke: '#334155', grid: { stroke: '#eef2f6' } },
      { label: 'latency (ms, log scale)', stroke: '#334155', grid: { stroke: '#eef2f6' }, size: 60 }
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: series,
    hooks: { drawClear: [shadeFaults], draw: [labelFaultsAndEvents] }
  }, [data.xs].concat(data.series.map(function (s) { return s.ys; })), el);
  var points = 0;
  u.data.slice(1).forEach(function (ys) { ys.forEach(function (y) { if (y != null) points++; }); });
  el.dataset.points = String(points);
  window.__drillReport = { points: points };
  window.addEventListener('resize', function () { u.setSize({ width: el.clientWidth, height: 380 }); });
})();
`;

const STYLE = `
:root { --pass: #15803d; --fail: #b91c1c; --error: #7c3aed; --muted: #64748b; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #0f172a; background: #f8fafc; }
main { max-width: 1200px; margin: 0 auto; padding: 0 24px 48px; }
header { border-top: 8px solid var(--verdict); background: #fff; border-bottom: 1px solid var(--line); margin-bottom: 20px; }
header .inner { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
.pass { --verdict: var(--pass); } .fail { --verdict: var(--fail); } .error { --verdict: var(--error); }
h1 { font-size: 24px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; background: var(--verdict); font-weight: 700; letter-spacing: .04em; font-size: 14px; }
.badge.small { font-size: 11px; padding: 1px 6px; }
.desc { margin: 4px 0 8px; max-width: 90ch; }
.meta { color: var(--muted); font-size: 12.5px; }
.meta span + span::before { content: ' · '; }
.why { margin: 10px 0 0; padding: 8px 12px; border-left: 4px solid var(--verdict); background: #fef2f2; font-weight: 600; }
.pass .why { background: #f0fdf4; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 650; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
.caption { color: var(--muted); font-size: 12.5px; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; font-size: 12.5px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { background: #fef2f2; }
.ok { color: var(--pass); font-weight: 700; } .bad { color: var(--fail); font-weight: 700; }
.share { display: flex; height: 8px; width: 140px; border-radius: 2px; overflow: hidden; background: var(--line); margin-top: 3px; }
code, pre { font: 12px/1.4 ui-monospace, 'SFMono-Regular', Menlo, monospace; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 4px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
a { color: #1d4ed8; }
#timeline { width: 100%; }
.uplot { font-family: inherit; }
`;

function page(title: string, verdictClass: string, body: SafeHtml, scripts: SafeHtml = html``): string {
  // No network: the CSP blocks every fetch, so the page works (and fails loudly) the same offline.
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${new SafeHtml(readAsset('uplot/dist/uPlot.min.css'))}${new SafeHtml(STYLE)}</style>
</head>
<body class="${verdictClass}">
${body}
${scripts}
</body>
</html>
`.markup;
}

const verdictLabel = (j: Journal): string => (j.interrupted ? `${j.verdict.toUpperCase()} (interrupted)` : j.verdict.toUpperCase());

function card(key: string, value: string): SafeHtml {
  return html`<div class="card"><div class="k">${key}</div><div class="v">${value}</div></div>`;
}

function keyFigures(j: Journal): SafeHtml {
  const m = j.measurements;
  if (!m) return html`<p>No measurements: the drill ended before its load was measured.</p>`;
  return html`<div class="cards">
${card('requests', String(m.phases.run.requests))}
${card('failed requests', String(m.errors))}
${card('wrong answers', String(m.wrongAnswers))}
${card('late responses', String(m.lateResponses))}
${card('failover', ms(m.failoverMs, 'never'))}
${card('unavailability', ms(m.unavailabilityMs))}
${card('fail-back', ms(m.failbackMs, 'never'))}
</div>`;
}

function thresholdTable(j: Journal): SafeHtml {
  if (j.thresholds.length === 0) return html`<p>No thresholds were evaluated.</p>`;
  return html`<table id="thresholds">
<thead><tr><th>result</th><th>threshold</th><th>phase</th><th class="num">limit</th><th class="num">observed</th></tr></thead>
<tbody>
${j.thresholds.map((t) => html`<tr class="${t.pass ? 'passed' : 'failed'}"><td class="${t.pass ? 'ok' : 'bad'}">${t.pass ? 'pass' : 'FAIL'}</td><td><code>${t.name}</code></td><td>${t.phase}</td><td class="num">${t.bound === 'max' ? '≤' : '≥'} ${t.limit}</td><td class="num">${t.observed ?? 'never'}</td></tr>
`)}</tbody>
</table>`;
}

const percent = (count: number, total: number): string => (count > 0 && count < total / 100 ? '<1%' : `${Math.round((100 * count) / total)}%`);

function servedByCell(p: PhaseMeasurements, replicaColors: Map<string, string>): SafeHtml {
  const entries = Object.entries(p.servedBy);
  const total = entries.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return html`–`;
  const color = (name: string): string => replicaColors.get(name) ?? REPLICA_COLORS[name] ?? '#4b5563';
  return html`${entries.map(([name, count], i) => html`${i > 0 ? ' · ' : ''}<span class="swatch" style="background:${color(name)}"></span>${name} ${percent(count, total)} (${count})`)}
<div class="share">${entries.map(([name, count]) => html`<span style="width:${((100 * count) / total).toFixed(2)}%;background:${color(name)}"></span>`)}</div>`;
}

const PHASE_ORDER = ['baseline', 'fault', 'recovery', 'run'] as const;
const PHASE_LABEL: Record<(typeof PHASE_ORDER)[number], string> = { baseline: 'baseline (before faults)', fault: 'fault', recovery: 'recovery (after revert)', run: 'whole run' };

function phaseTable(j: Journal, replicaColors: Map<string, string>): SafeHtml {
  const m = j.measurements;
  if (!m) return html`<p>Not measured.</p>`;
  return html`<table id="phases">
<thead><tr><th>phase</th><th class="num">requests</th><th class="num">failed</th><th class="num">wrong</th><th class="num">late</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th><th>served by</th></tr></thead>
<tbody>
${PHASE_ORDER.map((phase) => {
    const p = m.phases[phase];
    return html`<tr><td>${PHASE_LABEL[phase]}</td><td class="num">${p.requests}</td><td class="num">${p.errors}</td><td class="num">${p.wrongAnswers}</td><td class="num">${p.lateResponses}</td><td class="num">${ms(p.latency.p50Ms)}</td><td class="num">${ms(p.latency.p90Ms)}</td><td class="num">${ms(p.latency.p99Ms)}</td><td class="num">${ms(p.latency.maxMs)}</td><td>${servedByCell(p, replicaColors)}</td></tr>
`;
  })}</tbody>
</table>`;
}

function faultTable(j: Journal): SafeHtml {
  if (j.faults.length === 0) return html`<p>No faults.</p>`;
  return html`<table id="faults">
<thead><tr><th>fault</th><th>target</th><th class="num">scheduled</th><th class="num">injected</th><th class="num">reverted</th><th>attributes</th><th>error</th></tr></thead>
<tbody>
${j.faults.map((f) => html`<tr class="${f.error ? 'failed' : ''}"><td>${f.fault}</td><td>${f.target}</td><td class="num">${ms(f.at)}</td><td class="num">${ms(f.injectedAtMs, 'not injected')}</td><td class="num">${ms(f.revertedAtMs, 'not reverted (to end of load)')}</td><td><code>${JSON.stringify(f.attributes ?? {})}</code></td><td>${f.error ?? ''}</td></tr>
`)}</tbody>
</table>`;
}

/** Primary versus standby called directly on the request set before the faults; with an int8 standby, its cost. */
function consistencyTable(j: Journal): SafeHtml {
  const c = j.measurements?.consistency;
  if (!c) return html`<p>Not measured (the drill ended before the load).</p>`;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const bytes = (precision: string): number | undefined => j.environment.models[precision]?.bytes;
  const [pb, sb] = [bytes(c.primary.precision), bytes(c.standby.precision)];
  const rows: [string, string][] = [
    ['primary', `${c.primary.version} (${c.primary.precision})`],
    ['standby', `${c.standby.version} (${c.standby.precision})`],
    ['requests compared', String(c.requests)],
    ['max |score difference|', c.maxAbsScoreDelta.toPrecision(3)],
    ['top-10 overlap', `mean ${pct(c.meanTop10Overlap)}, worst ${pct(c.minTop10Overlap)}`],
    ['same top-1', pct(c.sameTop1Rate)],
    ...(pb && sb && pb !== sb ? [['standby size / primary size', `${(sb / pb).toFixed(3)} (${(pb / sb).toFixed(2)}x smaller)`] as [string, string]] : []),
  ];
  return html`<table id="consistency"><tbody>
${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>
`)}</tbody></table>`;
}

/** Soak drills: each container's memory over the run, and latency per window away from faults. */
function driftSection(j: Journal): SafeHtml {
  const d = j.measurements?.drift;
  if (!d) return html``;
  const mb = (x: number): string => `${x.toFixed(1)} MB`;
  return html`<h2>Drift over the run</h2>
<table id="drift">
<thead><tr><th>container</th><th class="num">memory at start</th><th class="num">at end</th><th class="num">peak</th><th class="num">growth</th><th class="num">trend</th><th class="num">mean CPU</th><th class="num">samples</th></tr></thead>
<tbody>
${Object.entries(d.containers).map(([name, c]) => html`<tr><td>${name}</td><td class="num">${mb(c.startMb)}</td><td class="num">${mb(c.endMb)}</td><td class="num">${mb(c.peakMb)}</td><td class="num">${mb(c.growthMb)}</td><td class="num">${c.slopeMbPerMin.toFixed(2)} MB/min</td><td class="num">${c.meanCpuPercent === null ? '–' : `${c.meanCpuPercent.toFixed(1)}%`}</td><td class="num">${c.samples.length}</td></tr>
`)}</tbody>
</table>
<table id="latency-windows">
<thead><tr><th>window from</th><th class="num">quiet answers</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
<tbody>
${d.windows.map((w) => html`<tr><td>${ms(w.startMs)}</td><td class="num">${w.count}</td><td class="num">${ms(w.p50Ms ?? undefined, '–')}</td><td class="num">${ms(w.p99Ms ?? undefined, '–')}</td></tr>
`)}</tbody>
</table>
<p class="caption">Latency counts good answers sent away from every fault window and its settle time. Drift, last window minus first: p50 ${ms(d.p50DriftMs ?? undefined, 'not measured')}, p99 ${ms(d.p99DriftMs ?? undefined, 'not measured')}.</p>`;
}

function steadyStateTable(j: Journal): SafeHtml {
  const rows: [string, SteadyStateCheck | undefined][] = [['before faults', j.steadyState.before], ['after faults', j.steadyState.after]];
  return html`<table id="steady-state">
<thead><tr><th>check</th><th>result</th><th class="num">took</th><th>detail</th></tr></thead>
<tbody>
${rows.map(([name, c]) => html`<tr class="${c && !c.ok ? 'failed' : ''}"><td>steady state ${name}</td><td class="${c ? (c.ok ? 'ok' : 'bad') : ''}">${c ? (c.ok ? 'held' : 'FAILED') : 'not checked'}</td><td class="num">${c ? ms(c.elapsedMs) : '–'}</td><td>${c?.detail ?? ''}</td></tr>
`)}</tbody>
</table>`;
}

function diagnosis(j: Journal): SafeHtml {
  const d = j.diagnosis;
  return html`<p>${d.firstFailure ? html`<strong>First failure:</strong> ${d.firstFailure}` : 'No failure.'}</p>
${d.replicas.map((r) => html`<h3>${r.role}</h3>
<p class="meta">readiness at the end of the drill</p>
<pre class="readiness">${stripAnsi(r.readiness)}</pre>
<p class="meta">last ${r.logTail.length} log lines</p>
<pre class="log">${stripAnsi(r.logTail.join('\n')) || '(empty)'}</pre>`)}`;
}

function environment(j: Journal): SafeHtml {
  const e = j.environment;
  const rows: [string, string][] = [
    ['scenario file', j.scenario.file],
    ...Object.entries(e.models).map(([precision, m]): [string, string] => [`model ${precision}`, `${m.version} (${m.bytes} bytes) sha256 ${m.sha256}`]),
    ...Object.entries(e.images).map(([role, image]): [string, string] => [`image: ${role}`, image]),
    ['node', `${e.node} (${e.platform})`],
    ['request seed', String(e.seed)],
    ...(j.topology ? [['topology', `${j.topology.runId}: ${j.topology.reused ? 'reused from the previous drill, reset and checked' : 'started for this drill'}${j.topology.resetProblem ? ` (the previous one was not reused: ${j.topology.resetProblem})` : ''}`] as [string, string]] : []),
    ['timing', `topology ${j.topology?.reused ? 'reset' : 'up'} ${seconds(j.timing.topologyUpMs)}, load ${seconds(j.timing.loadMs)}, total ${seconds(j.timing.totalMs)}`],
  ];
  return html`<table id="environment"><tbody>
${rows.map(([k, v]) => html`<tr><th>${k}</th><td><code>${v}</code></td></tr>
`)}</tbody></table>`;
}

function timelineLegend(data: TimelineData): SafeHtml {
  return html`<p class="caption">One point per request (${data.xs.length}): x = when it was sent, y = how long it took.
Colour = the replica that answered; <span class="bad">✕</span> = failed request (no 2xx), ◆ = wrong answer.
Shaded bands = fault windows (labelled). Dashed lines = failover / fail-back. Drag to zoom, double-click to reset.</p>`;
}

/** One self-contained HTML page for one drill. */
export function renderDrillHtml(journal: Journal): string {
  const j = journal;
  const data = timelineData(j);
  const replicaColors = new Map(data.series.filter((s) => s.kind === 'replica').map((s) => [s.label, s.color]));
  const body = html`<header><div class="inner">
<h1><span class="badge" id="verdict">${verdictLabel(j)}</span> ${j.scenario.name}</h1>
<p class="desc">${j.scenario.description}</p>
<p class="meta"><span>run <code>${j.runId}</code></span><span>started ${j.startedAt}</span><span>finished ${j.finishedAt}</span><span>${seconds(j.timing.totalMs)} total</span><span><a href="../index.html">all drills of this run</a></span></p>
${j.diagnosis.firstFailure ? html`<p class="why">${j.diagnosis.firstFailure}</p>` : ''}
</div></header>
<main>
${keyFigures(j)}
<h2>Timeline</h2>
<div class="panel"><div id="timeline" data-requests="${data.xs.length}"></div>${timelineLegend(data)}</div>
<h2>Thresholds</h2>
${thresholdTable(j)}
<h2>Latency by phase</h2>
${phaseTable(j, replicaColors)}
<h2>Consistency: primary versus standby</h2>
${consistencyTable(j)}
${driftSection(j)}
<h2>Faults</h2>
${faultTable(j)}
<h2>Steady state</h2>
${steadyStateTable(j)}
<h2>Diagnosis</h2>
${diagnosis(j)}
<h2>Environment</h2>
${environment(j)}
</main>`;
  const scripts = html`<script type="application/json" id="timeline-data">${scriptJson(data)}</script>
<script>${inlineScript(readAsset('uplot/dist/uPlot.iife.min.js'))}</script>
<script>${new SafeHtml(CHART_SCRIPT)}</script>`;
  return page(`${verdictLabel(j)} · ${j.scenario.name} · failover-drill`, j.verdict, body, scripts);
}

/** The run's index: one row per drill, linking `<name>/index.html`. */
export function renderIndexHtml(journals: readonly Journal[]): string {
  const count = (v: Journal['verdict']): number => journals.filter((j) => j.verdict === v).length;
  const overall = count('error') > 0 ? 'error' : count('fail') > 0 ? 'fail' : 'pass';
  const body = html`<header><div class="inner">
<h1><span class="badge">${overall.toUpperCase()}</span> failover-drill run</h1>
<p class="meta"><span>${journals.length} drill(s)</span><span>${count('pass')} passed</span><span>${count('fail')} failed</span><span>${count('error')} errored</span></p>
</div></header>
<main>
<table id="drills">
<thead><tr><th>drill</th><th>verdict</th><th class="num">requests</th><th class="num">failed</th><th class="num">wrong</th><th class="num">failover</th><th class="num">unavailability</th><th>first failure</th></tr></thead>
<tbody>
${journals.map((j) => {
    const m = j.measurements;
    return html`<tr class="${j.verdict}${j.verdict === 'pass' ? '' : ' failed'}"><td><a href="${encodeURIComponent(j.scenario.name)}/index.html">${j.scenario.name}</a><div class="meta">${j.scenario.description}</div></td><td><span class="badge small">${verdictLabel(j)}</span></td><td class="num">${m?.phases.run.requests ?? '–'}</td><td class="num">${m?.errors ?? '–'}</td><td class="num">${m?.wrongAnswers ?? '–'}</td><td class="num">${m ? ms(m.failoverMs, 'never') : '–'}</td><td class="num">${m ? ms(m.unavailabilityMs) : '–'}</td><td>${j.diagnosis.firstFailure ?? ''}</td></tr>
`;
  })}</tbody>
</table>
</main>`;
  return page(`${overall.toUpperCase()} · failover-drill run`, overall, body);
}
