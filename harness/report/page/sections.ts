// The sections of a drill's page, each rendering one part of the journal as it was recorded.
import { CPU_PRESSURE_LEVEL_PERCENT, CPU_STEAL_LEVEL_PERCENT } from '../../measure/environment';
import type { PhaseMeasurements, SlowestAnswers } from '../../measure/measure';
import { replicaColor, type TimelineData } from '../chart/timeline-data';
import { failoverFigure, megabytes, ms, percent as percentOf, seconds, stepTimes } from '../format';
import { faultEffectiveAtMs, type Journal, type JournalFault, type SteadyStateCheck } from '../journal';
import { html, type SafeHtml } from './template';

// Container logs carry terminal colour codes; on a page they are noise.
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');

function card(key: string, value: string): SafeHtml {
  return html`<div class="card"><div class="k">${key}</div><div class="v">${value}</div></div>`;
}

export function keyFigures(j: Journal): SafeHtml {
  const m = j.measurements;
  if (!m) return html`<p>No measurements: the drill ended before its load was measured.</p>`;
  return html`<div class="cards">
${card('requests', String(m.phases.run.requests))}
${card('failed requests', String(m.errors))}
${card('wrong answers', String(m.wrongAnswers))}
${card('late responses', String(m.lateResponses))}
${card('failover', failoverFigure(m))}
${card('unavailability', ms(m.unavailabilityMs))}
${card('fail-back', ms(m.failbackMs, 'never'))}
</div>`;
}

export function thresholdTable(j: Journal): SafeHtml {
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
  const color = (name: string): string => replicaColors.get(name) ?? replicaColor(name);
  return html`${entries.map(([name, count], i) => html`${i > 0 ? ' · ' : ''}<span class="swatch" style="background:${color(name)}"></span>${name} ${percent(count, total)} (${count})`)}
<div class="share">${entries.map(([name, count]) => html`<span style="width:${((100 * count) / total).toFixed(2)}%;background:${color(name)}"></span>`)}</div>`;
}

const PHASE_ORDER = ['baseline', 'fault', 'recovery', 'run'] as const;
const PHASE_LABEL: Record<(typeof PHASE_ORDER)[number], string> = { baseline: 'baseline (before faults)', fault: 'fault', recovery: 'recovery (after revert)', run: 'whole run' };

/** The machine beside each phase's latency: a slow phase on a busy machine reads differently from one on a quiet one. */
function environmentColumns(j: Journal): { head: SafeHtml; cells(phase: (typeof PHASE_ORDER)[number]): SafeHtml; caption: SafeHtml } {
  const e = j.measurements?.environment;
  if (!e) return { head: html``, cells: () => html``, caption: html`` };
  // Journals before steal was recorded have no such field: no column rather than a column of dashes.
  const steal = e.phases.run.cpuStealPercent !== undefined;
  return {
    head: html`<th class="num">CPU pressure (${e.pressureSource ?? 'not sampled'})</th>${steal ? html`<th class="num">steal</th>` : ''}<th class="num">harness CPU</th><th class="num">send lateness p99</th><th class="num">max</th>`,
    cells(phase) {
      const p = e.phases[phase];
      return html`<td class="num">${percentOf(p.cpuPressurePercent)}</td>${steal ? html`<td class="num">${percentOf(p.cpuStealPercent)}</td>` : ''}<td class="num">${percentOf(p.harnessCpuPercent)}</td><td class="num">${ms(p.sendLatenessP99Ms)}</td><td class="num">${ms(p.sendLatenessMaxMs)}</td>`;
    },
    caption: html`<p class="caption">CPU pressure: the share of the phase's time in which some task on the machine waited for a CPU${e.pressureSource === 'loadavg' ? ' (here: 100 × the 1-minute load average per core, as this kernel has no pressure stall information)' : ' (Linux pressure stall information)'}; from ${CPU_PRESSURE_LEVEL_PERCENT}% a failing latency or failover threshold names it.${steal ? html` Steal: the share of the machine's CPU time its hypervisor gave to other guests (/proc/stat), which CPU pressure does not count; from ${CPU_STEAL_LEVEL_PERCENT}% a failing threshold names it too.` : ''} Harness CPU: the harness process, in % of one core. Send lateness: how long after its slot the load generator sent a request. Sampled every ${e.sampleIntervalMs} ms.</p>`,
  };
}

/** Under a phase's p99: where its slowest 1 % of answers spent their time, when the gateway said (medians). */
function slowestCaption(s: SlowestAnswers | undefined): SafeHtml {
  if (!s) return html``;
  const replica = s.replicaMs == null ? '' : ` (${ms(s.replicaMs)} in the replica)`;
  const attempt = s.attemptMs === null || s.beforeAttemptMs === null ? '' : `${ms(s.attemptMs)} answering attempt${replica}, ${ms(s.beforeAttemptMs)} in the gateway before it, `;
  return html`<div class="caption" title="the slowest 1 % of answers (${s.answers}), medians, from the gateway's Server-Timing">slowest 1 %: ${ms(s.latencyMs)}: ${attempt}${ms(s.outsideMs)} outside the gateway</div>`;
}

export function phaseTable(j: Journal, replicaColors: Map<string, string>): SafeHtml {
  const m = j.measurements;
  if (!m) return html`<p>Not measured.</p>`;
  const machine = environmentColumns(j);
  return html`<table id="phases">
<thead><tr><th>phase</th><th class="num">requests</th><th class="num">failed</th><th class="num">wrong</th><th class="num">late</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th>${machine.head}<th>served by</th></tr></thead>
<tbody>
${PHASE_ORDER.map((phase) => {
    const p = m.phases[phase];
    return html`<tr><td>${PHASE_LABEL[phase]}</td><td class="num">${p.requests}</td><td class="num">${p.errors}</td><td class="num">${p.wrongAnswers}</td><td class="num">${p.lateResponses}</td><td class="num">${ms(p.latency.p50Ms)}</td><td class="num">${ms(p.latency.p90Ms)}</td><td class="num">${ms(p.latency.p99Ms)}${slowestCaption(p.slowest)}</td><td class="num">${ms(p.latency.maxMs)}</td>${machine.cells(phase)}<td>${servedByCell(p, replicaColors)}</td></tr>
`;
  })}</tbody>
</table>
${machine.caption}`;
}

/** When the fault took effect, and how long after it was requested. */
function effectiveCell(f: JournalFault): SafeHtml {
  const effective = faultEffectiveAtMs(f);
  if (effective === undefined) return html`not injected`;
  return f.requestedAtMs === undefined ? html`${ms(effective)}` : html`${ms(effective)}<div class="caption">+${ms(effective - f.requestedAtMs)} after the request</div>`;
}

/** How the effective moment was seen, to within what, and the other clocks' view of it. */
function effectCell(f: JournalFault): SafeHtml {
  const e = f.effect;
  if (!e) return html`${faultEffectiveAtMs(f) === undefined ? '' : 'the start of inject (a journal from before effects were observed)'}`;
  return html`${e.method} (resolution ${ms(e.resolutionMs)})${e.exitedAtMs === undefined ? '' : html`<div class="caption">process exit per Docker (State.FinishedAt): ${ms(e.exitedAtMs)}</div>`}${e.acceptingAgainAtMs === undefined ? '' : html`<div class="caption">its port accepted again at ${ms(e.acceptingAgainAtMs)}</div>`}`;
}

export function faultTable(j: Journal): SafeHtml {
  if (j.faults.length === 0) return html`<p>No faults.</p>`;
  return html`<table id="faults">
<thead><tr><th>fault</th><th>target</th><th class="num">scheduled</th><th class="num">requested</th><th class="num">took effect</th><th>how it was seen</th><th class="num">reverted</th><th>attributes</th><th>error</th></tr></thead>
<tbody>
${j.faults.map((f) => html`<tr class="${f.error ? 'failed' : ''}"><td>${f.fault}</td><td>${f.target}</td><td class="num">${ms(f.at)}</td><td class="num">${ms(f.requestedAtMs)}</td><td class="num">${effectiveCell(f)}</td><td>${effectCell(f)}</td><td class="num">${ms(f.revertedAtMs, 'not reverted (to end of load)')}</td><td><code>${JSON.stringify(f.attributes ?? {})}</code></td><td>${f.error ?? ''}</td></tr>
`)}</tbody>
</table>
<p class="caption">Times in ms from the start of the load. A fault took effect no later than the moment shown and no earlier than its resolution before it. Failover and unavailability count from the moment the first fault took effect, not from its request: a SIGKILLed process goes on accepting connections for tens of ms.</p>`;
}

/** Primary versus standby called directly on the request set before the faults; with an int8 standby, its cost. */
export function consistencyTable(j: Journal): SafeHtml {
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
export function driftSection(j: Journal): SafeHtml {
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
${d.windows.map((w) => html`<tr><td>${ms(w.startMs)}</td><td class="num">${w.count}</td><td class="num">${ms(w.p50Ms)}</td><td class="num">${ms(w.p99Ms)}</td></tr>
`)}</tbody>
</table>
<p class="caption">Latency counts good answers sent away from every fault window and its settle time. Drift, last window minus first: p50 ${ms(d.p50DriftMs, 'not measured')}, p99 ${ms(d.p99DriftMs, 'not measured')}.</p>`;
}

/** The model's size and each restart and model load of the drill, with the time of its steps. */
export function recoveryTable(j: Journal): SafeHtml {
  const size = html`<p>Model served: ${megabytes(j.environment.models['fp32']?.bytes)} (fp32)${j.environment.models['int8'] ? html`, int8 variant ${megabytes(j.environment.models['int8'].bytes)}` : ''}.</p>`;
  const steps = j.recovery ?? [];
  if (steps.length === 0) return html`${size}<p>No restart or model load was recorded.</p>`;
  return html`${size}<table id="recovery">
<thead><tr><th>replica</th><th>what</th><th>outcome</th><th>when</th><th class="num">took</th><th>steps</th></tr></thead>
<tbody>
${steps.map((r) => html`<tr class="${r.outcome === 'loaded' || r.outcome === 'accepting' ? '' : 'failed'}"><td>${r.replica}</td><td>${r.event}${r.bytes === undefined ? '' : html` (${megabytes(r.bytes)})`}</td><td>${r.outcome}</td><td>${r.atMs === undefined ? (r.at ?? '') : ms(r.atMs)}</td><td class="num">${ms(r.totalMs)}</td><td>${stepTimes(r.steps)}</td></tr>
`)}</tbody>
</table>
<p class="caption">A restart runs from the moment the old process stopped accepting connections to the moment the new one accepted again; the reference server listens only once its model is read, checksummed, loaded into an onnxruntime session and its probe set passed. Each model load is the replica's own account (startup, reload, hot-backup sync), its steps timed by the replica: a load's total includes waiting in line behind another change.</p>`;
}

export function steadyStateTable(j: Journal): SafeHtml {
  const rows: [string, SteadyStateCheck | undefined][] = [['before faults', j.steadyState.before], ['after faults', j.steadyState.after]];
  return html`<table id="steady-state">
<thead><tr><th>check</th><th>result</th><th class="num">took</th><th>detail</th></tr></thead>
<tbody>
${rows.map(([name, c]) => html`<tr class="${c && !c.ok ? 'failed' : ''}"><td>steady state ${name}</td><td class="${c ? (c.ok ? 'ok' : 'bad') : ''}">${c ? (c.ok ? 'held' : 'FAILED') : 'not checked'}</td><td class="num">${c ? ms(c.elapsedMs) : '–'}</td><td>${c?.detail ?? ''}</td></tr>
`)}</tbody>
</table>`;
}

export function diagnosis(j: Journal): SafeHtml {
  const d = j.diagnosis;
  return html`<p>${d.firstFailure ? html`<strong>First failure:</strong> ${d.firstFailure}` : 'No failure.'}</p>
${d.replicas.map((r) => html`<h3>${r.role}</h3>
<p class="meta">readiness at the end of the drill</p>
<pre class="readiness">${stripAnsi(r.readiness)}</pre>
${logLines(r.logTail)}`)}
${d.gateway ? html`<h3>gateway</h3>
${logLines(d.gateway.logTail)}` : ''}`;
}

const logLines = (lines: string[]): SafeHtml => html`<p class="meta">last ${lines.length} log lines</p>
<pre class="log">${stripAnsi(lines.join('\n')) || '(empty)'}</pre>`;

export function environment(j: Journal): SafeHtml {
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

export function timelineLegend(data: TimelineData): SafeHtml {
  return html`<p class="caption">One point per request (${data.xs.length}): x = when it was sent, y = how long it took.
Colour = the replica that answered; <span class="bad">✕</span> = failed request (no 2xx), ◆ = wrong answer.
Shaded bands = fault windows (labelled), from the moment each took effect (solid edge); the paler band before it runs from the request. Dashed lines = failover / fail-back. Drag to zoom, double-click to reset.</p>`;
}
