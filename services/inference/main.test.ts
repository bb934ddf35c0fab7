import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeModelDir } from '../model/build';

// The real entry point in a child process: what the container runs.
const MAIN = join(__dirname, 'main.ts');
function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
async function firstLine(child: ChildProcess, predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for await (const text of createInterface({ input: child.stdout! })) {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (predicate(line)) return line;
  }
  throw new Error('the process ended without the expected log line');
}

describe('inference command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inference-main-'));
    await writeModelDir(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('logs one listening line, serves, and exits 0 on SIGTERM', async () => {
    const child = run(['--model', dir, '--port', '0', '--host', '127.0.0.1', '--role', 'standby']);
    const exited = exitCode(child);
    try {
      const listening = await firstLine(child, (l) => l['msg'] === 'listening');
      expect(listening).toMatchObject({ ready: true, name: 'standby', role: 'standby' });
      const res = await fetch(`http://127.0.0.1:${listening['port']}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 20_000);

  it('exits 2 naming the option when the role is not primary or standby', async () => {
    const child = run(['--model', dir, '--role', 'backup']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitCode(child)).toBe(2);
    expect(stderr).toContain("option '--role <role>' argument 'backup' is invalid. Allowed choices are primary, standby.");
  }, 20_000);
});
