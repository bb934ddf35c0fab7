import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids } from './interrupt';

describe('childPids', () => {
  let proc: string;
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'proc-'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  const processEntry = (pid: number, stat: string): void => {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), 'stat'), stat);
  };

  it("finds the processes whose parent is the given pid, reading the parent after the command's last parenthesis", () => {
    processEntry(100, '100 (node) S 1 100 100 0 -1');
    processEntry(101, '101 (jest worker (1)) S 100 100 100 0 -1');
    processEntry(102, '102 (a) b) R 100 100 100 0 -1');
    processEntry(103, '103 (node) S 101 100 100 0 -1');
    mkdirSync(join(proc, 'self'));
    expect(childPids(100, proc).sort()).toEqual([101, 102]);
    expect(childPids(101, proc)).toEqual([103]);
  });

  it('finds none where there is no /proc', () => {
    expect(childPids(100, join(proc, 'missing'))).toEqual([]);
  });
});
