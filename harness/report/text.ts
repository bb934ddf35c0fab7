// The console's account of one drill: what `drill run` prints and what a failing gate test shows.
import { deploymentPhrase, failoverFigure, megabytes, ms, percent, seconds, stepTimes } from './format';
import type { Journal } from './journal';

export function drillSummaryText(j: Journal): string {
  const m = j.measurements;
  const lines = [
    `${j.scenario.name}: ${j.verdict.toUpperCase()}${j.interrupted ? ' (INTERRUPTED)' : ''} (run ${j.runId}, ${seconds(j.timing.totalMs)})`,
    `  ${j.scenario.description}`,
  ];
  const d = j.environment.deployment;
  if (d) lines.push(`  ${deploymentPhrase(d)}`);
  if (m) {
    lines.push(`  requests ${m.phases.run.requests}, errors ${m.errors}, wrong answers ${m.wrongAnswers}, late ${m.lateResponses}`);
    lines.push(`  failover ${failoverFigure(m)}, unavailability ${ms(m.unavailabilityMs)}, p99 ${ms(m.phases.run.latency.p99Ms)}`);
    const e = m.environment;
    if (e) {
      const pressure = (['baseline', 'fault', 'recovery'] as const).map((phase) => `${phase} ${percent(e.phases[phase].cpuPressurePercent)}`).join(', ');
      const steal = e.phases.run.cpuStealPercent;
      lines.push(`  machine: CPU pressure (${e.pressureSource ?? 'not sampled'}) ${pressure}${steal != null ? `; steal ${percent(steal)}` : ''}; harness CPU ${percent(e.phases.run.harnessCpuPercent)}; send lateness p99 ${ms(e.phases.run.sendLatenessP99Ms)}, max ${ms(e.phases.run.sendLatenessMaxMs)}`);
    }
    if (m.drift) {
      const memory = Object.entries(m.drift.containers).map(([name, c]) => `${name} ${c.startMb.toFixed(0)}->${c.endMb.toFixed(0)} MB (${c.slopeMbPerMin >= 0 ? '+' : ''}${c.slopeMbPerMin.toFixed(2)} MB/min)`);
      lines.push(`  memory ${memory.join(', ')}; p99 drift ${ms(m.drift.p99DriftMs, 'not measured')}`);
    }
  }
  const fp32 = j.environment.models['fp32'];
  if (j.recovery?.length) {
    lines.push(`  recovery steps (model ${megabytes(fp32?.bytes)}):`);
    for (const r of j.recovery) lines.push(`    ${r.replica} ${r.event}: ${r.outcome} in ${ms(r.totalMs)}${Object.keys(r.steps).length ? ` (${stepTimes(r.steps)})` : ''}`);
  }
  for (const t of j.thresholds) lines.push(`  ${t.pass ? 'ok  ' : 'FAIL'} ${t.name} (observed ${t.observed ?? 'never'})`);
  const after = j.steadyState.after;
  if (after) lines.push(`  ${after.ok ? 'ok  ' : 'FAIL'} steady state after faults (${after.ok ? `recovered in ${after.elapsedMs} ms` : after.detail})`);
  if (j.diagnosis.firstFailure) lines.push(`  first failure: ${j.diagnosis.firstFailure}`);
  return lines.join('\n');
}
