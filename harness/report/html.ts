// HTML reports: one self-contained page per drill (the chart bundled with uPlot, no network needed) and an index
// per run. Rendered from journals only: every figure on the page is read from the journal, never recomputed.
import { readFileSync } from 'node:fs';
import { timelineChartScript } from './chart/bundle';
import { timelineData } from './chart/timeline-data';
import { isFlaky, verdictLabel } from './attempts';
import { deploymentPhrase, ms, seconds } from './format';
import type { Journal } from './journal';
import { consistencyTable, diagnosis, driftSection, environment, faultTable, keyFigures, phaseTable, recoveryTable, steadyStateTable, thresholdTable, timelineLegend } from './page/sections';
import { STYLE } from './page/style';
import { html, inlineScript, SafeHtml, scriptJson } from './page/template';

const UPLOT_CSS = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');

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
<style>${new SafeHtml(UPLOT_CSS)}${new SafeHtml(STYLE)}</style>
</head>
<body class="${verdictClass}">
${body}
${scripts}
</body>
</html>
`.markup;
}

/** One self-contained HTML page for one drill. */
export function renderDrillHtml(journal: Journal): string {
  const j = journal;
  const data = timelineData(j);
  const replicaColors = new Map(data.series.filter((s) => s.kind === 'replica').map((s) => [s.label, s.color]));
  const body = html`<header><div class="inner">
<h1><span class="badge" id="verdict">${verdictLabel(j)}</span> ${j.scenario.name}</h1>
<p class="desc">${j.scenario.description}</p>
<p class="meta"><span>run <code>${j.runId}</code></span><span>started ${j.startedAt}</span><span>finished ${j.finishedAt}</span><span>${seconds(j.timing.totalMs)} total</span>${j.environment.deployment ? html`<span>${deploymentPhrase(j.environment.deployment)}</span>` : ''}<span><a href="../index.html">all drills of this run</a></span></p>
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
<h2>Recovery steps</h2>
${recoveryTable(j)}
<h2>Steady state</h2>
${steadyStateTable(j)}
<h2>Diagnosis</h2>
${diagnosis(j)}
<h2>Environment</h2>
${environment(j)}
</main>`;
  const scripts = html`<script type="application/json" id="timeline-data">${scriptJson(data)}</script>
<script>${inlineScript(timelineChartScript())}</script>`;
  return page(`${verdictLabel(j)} · ${j.scenario.name} · failover-drill`, j.verdict, body, scripts);
}

/** The run's index: one row per drill, linking `<name>/index.html` and the pages of its earlier attempts. */
export function renderIndexHtml(journals: readonly Journal[]): string {
  const count = (v: Journal['verdict']): number => journals.filter((j) => j.verdict === v).length;
  const overall = count('error') > 0 ? 'error' : count('fail') > 0 ? 'fail' : 'pass';
  const body = html`<header><div class="inner">
<h1><span class="badge">${overall.toUpperCase()}</span> failover-drill run</h1>
<p class="meta"><span>${journals.length} drill(s)</span><span>${count('pass')} passed</span><span>${journals.filter(isFlaky).length} flaky</span><span>${count('fail')} failed</span><span>${count('error')} errored</span></p>
</div></header>
<main>
<table id="drills">
<thead><tr><th>drill</th><th>verdict</th><th class="num">requests</th><th class="num">failed</th><th class="num">wrong</th><th class="num">failover</th><th class="num">unavailability</th><th>first failure</th></tr></thead>
<tbody>
${journals.map(indexRow)}</tbody>
</table>
</main>`;
  return page(`${overall.toUpperCase()} · failover-drill run`, overall, body);
}

function indexRow(j: Journal): SafeHtml {
  const m = j.measurements;
  const rowClass = [j.verdict, j.verdict !== 'pass' && 'failed', isFlaky(j) && 'flaky'].filter(Boolean).join(' ');
  return html`<tr class="${rowClass}"><td><a href="${encodeURIComponent(j.scenario.name)}/index.html">${j.scenario.name}</a><div class="meta">${j.scenario.description}</div>${earlierAttemptLinks(j)}</td><td><span class="badge small">${verdictLabel(j)}</span></td><td class="num">${m?.phases.run.requests ?? '–'}</td><td class="num">${m?.errors ?? '–'}</td><td class="num">${m?.wrongAnswers ?? '–'}</td><td class="num">${m ? ms(m.failoverMs, 'never') : '–'}</td><td class="num">${m ? ms(m.unavailabilityMs) : '–'}</td><td>${j.diagnosis.firstFailure ?? ''}</td></tr>
`;
}

/** Each run of the drill before the last, with why it failed: a flaky pass is diagnosed from these. */
function earlierAttemptLinks(j: Journal): SafeHtml {
  const attempts = j.earlierAttempts ?? [];
  if (attempts.length === 0) return html``;
  const drillDir = encodeURIComponent(j.scenario.name);
  return html`<ul class="attempts">${attempts.map((a) => html`<li><a href="${drillDir}/${encodeURIComponent(a.dir)}/index.html">attempt ${a.attempt}: ${a.verdict.toUpperCase()}</a> ${a.firstFailure ?? ''}</li>`)}</ul>`;
}
