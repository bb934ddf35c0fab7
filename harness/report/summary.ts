import type { Journal } from './journal';

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(1)} ms`);

/** One row per drill, for CI pages. */
export function renderSummaryMarkdown(journals: readonly Journal[]): string {
  const rows = journals.map((j) => {
    const m = j.measurements;
    const failed = j.thresholds.filter((t) => !t.pass).map((t) => t.name).join('; ');
    return `| ${j.scenario.name} | ${j.verdict.toUpperCase()} | ${m?.phases.run.requests ?? '-'} | ${m?.errors ?? '-'} | ${m?.wrongAnswers ?? '-'} | ${m ? (m.failoverMs === null ? 'never' : ms(m.failoverMs)) : '-'} | ${ms(m?.phases.run.latency.p99Ms)} | ${(failed || j.diagnosis.firstFailure || '').replace(/\|/g, '\\|')} |`;
  });
  return [
    '## failover-drill',
    '',
    '| drill | verdict | requests | errors | wrong answers | failover | p99 | first failure |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
