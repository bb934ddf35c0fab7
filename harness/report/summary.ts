import { verdictLabel } from './attempts';
import { ms } from './format';
import type { Journal } from './journal';

/** One row per drill, for CI pages; a drill run again shows its attempts in its verdict (flaky when it passed). */
export function renderSummaryMarkdown(journals: readonly Journal[]): string {
  const rows = journals.map((j) => {
    const m = j.measurements;
    const failed = j.thresholds.filter((t) => !t.pass).map((t) => t.name).join('; ');
    // A flaky drill's last run has no failure to show: its earlier attempts' are what a reader looks for.
    const earlier = (j.earlierAttempts ?? []).map((a) => `attempt ${a.attempt}: ${a.firstFailure ?? a.verdict}`).join('; ');
    return `| ${j.scenario.name} | ${verdictLabel(j)} | ${m?.phases.run.requests ?? '-'} | ${m?.errors ?? '-'} | ${m?.wrongAnswers ?? '-'} | ${m ? ms(m.failoverMs, 'never') : '-'} | ${ms(m?.phases.run.latency.p99Ms, '-')} | ${(failed || j.diagnosis.firstFailure || earlier).replace(/\|/g, '\\|')} |`;
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
