// No container or network may outlive a run: drill processes are killed at random moments with SIGINT,
// SIGTERM and SIGKILL. After SIGINT/SIGTERM the run itself must have removed everything; after SIGKILL the
// next run's sweep of dead runs must.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { getContainerRuntimeClient } from 'testcontainers';
import { projectRoot } from '../../harness/paths';
import { applyTestcontainersEnv } from '../../harness/setup/state';
import { sweep } from '../../harness/topology/cleanup';
import { LABEL_OWNER } from '../../harness/topology/labels';

const SCENARIO = join(projectRoot, 'test', 'fixtures', 'drills', 'short-crash.yaml');
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
const RUNS = 10;

beforeAll(() => applyTestcontainersEnv());

async function leftovers(pid: number): Promise<{ containers: number; networks: number }> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const label = `${LABEL_OWNER}=${hostname()}:${pid}`;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  const networks = await docker.listNetworks({ filters: { label: [label] } });
  return { containers: containers.length, networks: networks.length };
}

/** Starts `drill run` from the TypeScript sources and kills it `afterMs` later; resolves with its exit. */
function runAndKill(signal: NodeJS.Signals, afterMs: number): Promise<{ pid: number; code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(projectRoot, 'harness', 'cli', 'bin.ts'), 'run', SCENARIO, '--report-dir', join(projectRoot, 'reports', 'cleanup-test')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill(signal), afterMs);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ pid: child.pid as number, code, output });
    });
  });
}

test(`${RUNS} runs killed at random moments leave no containers or networks`, async () => {
  // Deterministic "random" moments spread over prepare, topology start, load, revert and teardown.
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < RUNS; i++) {
    const signal = SIGNALS[i % SIGNALS.length] as NodeJS.Signals;
    const afterMs = Math.round(300 + next() * 6000);
    const { pid, code, output } = await runAndKill(signal, afterMs);
    const context = `run ${i} killed with ${signal} after ${afterMs} ms (exit ${code}):\n${output.slice(-800)}`;
    if (signal === 'SIGKILL') {
      // What the next run does first: sweep the leftovers of dead runs.
      await sweep({ onlyDead: true });
    } else if (code !== 0) {
      // Interrupted before it finished: it must say so with 130 (a finished run exits 0 or 1).
      expect({ context, code }).toEqual({ context, code: 130 });
    }
    expect({ context, left: await leftovers(pid) }).toEqual({ context, left: { containers: 0, networks: 0 } });
  }
}, 600_000);
