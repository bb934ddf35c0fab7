import { erroredJournal, passingJournal, retried } from '../../test/report/attempts';
import { recordedJournal } from '../../test/report/journals';
import { renderSummaryMarkdown } from './summary';

/** The table row of the drill named `name`. */
const rowOf = (markdown: string, name: string): string => markdown.split('\n').find((line) => line.startsWith(`| ${name} |`)) ?? '';

describe('renderSummaryMarkdown', () => {
  it('one row per drill with its verdict, figures and first failure', () => {
    expect(rowOf(renderSummaryMarkdown([recordedJournal()]), 'primary-crash'))
      .toBe('| primary-crash | FAIL | 1200 | 67 | 0 | 248.5 ms | 509.7 ms | errors[run] <= 0 |');
  });

  it('marks a drill that failed and then passed as flaky, with its attempts and the earlier failure', async () => {
    const flaky = await retried(recordedJournal(), erroredJournal(), passingJournal());
    expect(rowOf(renderSummaryMarkdown([flaky]), 'primary-crash')).toBe(
      '| primary-crash | PASS (flaky; 3 attempts: fail, error, pass) | 1200 | 0 | 0 | 248.5 ms | 509.7 ms | ' +
        'attempt 1: threshold errors[run] <= 0 failed: observed 67; attempt 2: infrastructure error: Docker did not answer |',
    );
  });

  it('shows the attempts of a drill that failed every time, without calling it flaky', async () => {
    const row = rowOf(renderSummaryMarkdown([await retried(recordedJournal(), recordedJournal())]), 'primary-crash');
    expect(row).toContain('| FAIL (2 attempts: fail, fail) |');
    expect(row).not.toContain('flaky');
  });
});
