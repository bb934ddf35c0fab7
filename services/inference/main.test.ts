import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeModelDir } from '../model/build';
import { generateRequests } from '../model/requests';

// The real entry point in a child process: what the container runs.
const MAIN = join(__dirname, 'main.ts');
type Line = Record<string, unknown>;

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; line: (predicate: (l: Line) => boolean) => Promise<Line> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: Line[] = [];
  const waiters: { predicate: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    lines.push(line);
    for (const w of waiters.filter((w) => w.predicate(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const line = (predicate: (l: Line) => boolean) =>
    new Promise<Line>((resolve, reject) => {
      const seen = lines.find(predicate);
      if (seen) return resolve(seen);
      waiters.push({ predicate, resolve });
      child.once('exit', () => reject(new Error(`the process ended without the expected log line; it logged ${JSON.stringify(lines)}`)));
    });
  return { child, line };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('inference command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inference-main-'));
    await writeModelDir(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('logs one listening line, serves, and exits 0 on SIGTERM', async () => {
    const { child, line } = run(['--model', dir, '--port', '0', '--host', '127.0.0.1', '--role', 'standby']);
    const exited = exitCode(child);
    try {
      const listening = await line((l) => l['msg'] === 'listening');
      expect(listening).toMatchObject({ ready: true, name: 'standby', role: 'standby' });
      const res = await fetch(`http://127.0.0.1:${listening['port']}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 20_000);

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const { child, line } = run(['--model', dir, '--port', '0', '--host', '127.0.0.1']);
    const exited = exitCode(child);
    const { port } = await line((l) => l['msg'] === 'listening');
    const body = JSON.stringify(generateRequests({ seed: 2, count: 1, candidates: 100 })[0]);
    const answered = new Promise<number>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${port}/v1/rank`, { method: 'POST', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.slice(0, 50));
      // The rest of the body only once the process has logged that it is stopping.
      void line((l) => l['msg'] === 'stopping').then(() => req.end(body.slice(50)));
    });
    await new Promise((r) => setTimeout(r, 100));
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await answered).toBe(200);
    expect(await exited).toBe(0);
    // Well inside the 2 s grace period: the finished request's keep-alive connection does not hold shutdown.
    expect(Date.now() - signalled).toBeLessThan(1500);
  }, 20_000);

  it('reloads the model directory on SIGHUP and on POST /admin/reload with the token from the environment', async () => {
    const modelDir = await mkdtemp(join(tmpdir(), 'inference-main-reload-'));
    await writeModelDir(modelDir);
    const { child, line } = run(['--model', modelDir, '--port', '0', '--host', '127.0.0.1', '--on-bad-reload', 'fail-closed'], { DRILL_ADMIN_TOKEN: 'tok' });
    try {
      const url = `http://127.0.0.1:${(await line((l) => l['msg'] === 'listening'))['port']}`;
      const next = await writeModelDir(modelDir, { seed: 5 });
      child.kill('SIGHUP');
      expect(await line((l) => l['msg'] === 'model reloaded')).toMatchObject({ version: next.version });
      expect(await (await fetch(`${url}/v1/model`)).json()).toMatchObject({ model: { sha256: next.sha256 }, onBadReload: 'fail-closed' });

      const latest = await writeModelDir(modelDir, { seed: 6 });
      const res = await fetch(`${url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer tok' } });
      expect(await res.json()).toMatchObject({ outcome: 'loaded', model: { sha256: latest.sha256 } });
    } finally {
      child.kill('SIGTERM');
      await exitCode(child);
      await rm(modelDir, { recursive: true, force: true });
    }
  }, 20_000);

  it.each([
    [['--role', 'backup'], "option '--role <role>' argument 'backup' is invalid. Allowed choices are primary, standby."],
    [['--on-bad-reload', 'ignore'], "argument 'ignore' is invalid. Allowed choices are keep-last-good, fail-closed."],
    [['--sync-from', 'primary:8080'], "option '--sync-from <url>' argument 'primary:8080' is invalid. It must be an http:// or https:// URL, such as http://primary:8080."],
    [['--sync-interval-ms', '0'], "option '--sync-interval-ms <ms>' argument '0' is invalid. It must be an integer of at least 10."],
  ])('exits 2 naming the option for %j', async (args, message) => {
    const { child } = run(['--model', dir, ...args]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitCode(child)).toBe(2);
    expect(stderr).toContain(message);
  }, 20_000);
});
