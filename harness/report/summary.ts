import { ms } from './format';
import type { Journal } from './journal';

/** One row per drill, for CI pages. */
export function renderSummaryMarkdown(journals: readonly Journal[]): string {
  const rows = journals.map((j) => {
    const m = j.measurements;
    const failed = j.thresholds.filter((t) => !t.pass).map((t) => t.name).join('; ');
    return `| ${j.scenario.name} | ${j.verdict.toUpperCase()} | ${m?.phases.run.requests ?? '-'} | ${m?.errors ?? '-'} | ${m?.wrongAnswers ?? '-'} | ${m ? ms(m.failoverMs, 'never') : '-'} | ${ms(m?.phases.run.latency.p99Ms, '-')} | ${(failed || j.diagnosis.firstFailure || '').replace(/\|/g, '\\|')} |`;
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
