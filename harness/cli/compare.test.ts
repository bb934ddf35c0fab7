import type { Journal } from '../report/journal';
import { cellLines, compareMarkdown } from './compare';

const journal = (verdict: Journal['verdict'], failoverMs: number | null, errors: number, firstFailure?: string): Journal => ({
  verdict,
  diagnosis: { replicas: [], ...(firstFailure ? { firstFailure } : {}) },
  measurements: { failoverMs, failbackMs: null, errors, phases: { fault: { requests: 10, latency: { p99Ms: 20 } } } },
}) as unknown as Journal;

describe('drill compare cells', () => {
  it('gives verdicts n/N, failed requests per round, failover median and range, and the why of each failure', () => {
    const lines = cellLines([
      { journal: journal('pass', 40, 0), page: 'nginx/round-1/d/index.html' },
      { journal: journal('fail', 80, 3, 'errors[run] <= 0 (observed 3)'), page: 'nginx/round-2/d/index.html' },
      { journal: journal('pass', 50, 0), page: 'nginx/round-3/d/index.html' },
    ]);
    expect(lines).toEqual(['2/3 pass', 'failed 0/3/0', 'failover 50.0 ms (40.0–80.0)', 'p99 fault 20.0 ms (20.0–20.0)', 'fail-back never', 'why: fail: errors[run] <= 0 (observed 3)']);
  });

  it('says a pairing was not run, and why, instead of figures', () => {
    expect(cellLines([{ refused: 'gateway.failover: cannot be set with the nginx preset' }])).toEqual(['not run: gateway.failover: cannot be set with the nginx preset']);
  });

  it('links every cell to its runs\' drill pages', () => {
    const md = compareMarkdown([{ drill: 'd', runs: { nginx: [{ journal: journal('pass', 40, 0), page: 'nginx/round-1/d/index.html' }] } }], ['nginx'], '# x');
    expect(md).toContain('[r1](nginx/round-1/d/index.html)');
    expect(md).toContain('| drill | nginx |');
  });
});
