// No container or network may outlive a run: drill processes are killed at random moments with SIGINT,
// SIGTERM and SIGKILL, each after the run has its labelled containers up (a kill before that would leave nothing
// to clean and prove nothing). After SIGINT/SIGTERM the run itself must have removed everything; after SIGKILL
// the next run's sweep of dead runs must.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient } from 'testcontainers';
import { projectRoot } from '../../harness/paths';
import { applyTestcontainersEnv } from '../../harness/setup/state';
import { sweep } from '../../harness/topology/cleanup';
import { LABEL_OWNER } from '../../harness/topology/labels';

const SCENARIO = join(projectRoot, 'test', 'fixtures', 'drills', 'short-crash.yaml');
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
const RUNS = 10;

beforeAll(() => applyTestcontainersEnv());

const ownerLabel = (pid: number): string => `${LABEL_OWNER}=${hostname()}:${pid}`;

async function leftovers(pid: number): Promise<{ containers: number; networks: number }> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const containers = await docker.listContainers({ all: true, filters: { label: [ownerLabel(pid)] } });
  const networks = await docker.listNetworks({ filters: { label: [ownerLabel(pid)] } });
  return { containers: containers.length, networks: networks.length };
}

/** Resolves once a container labelled with this process as owner exists, or with false if the process exits first. */
async function firstContainer(child: ChildProcess): Promise<boolean> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  while (child.exitCode === null && child.signalCode === null) {
    const containers = await docker.listContainers({ all: true, filters: { label: [ownerLabel(child.pid as number)] } });
    if (containers.length > 0) return true;
    await sleep(50);
  }
  return false;
}

interface Kill {
  pid: number;
  code: number | null;
  output: string;
  /** Labelled containers of the run when the signal was sent; 0 means the kill tested nothing. */
  containersAtKill: number;
  /** The run was still going when the signal was sent (it had not finished on its own). */
  runningAtKill: boolean;
}

/** `drill <command>` from the TypeScript sources, as node's arguments. */
const drillArgs = (command: readonly string[]): string[] => ['--require', 'tsx/cjs', join(projectRoot, 'harness', 'cli', 'bin.ts'), ...command];

/**
 * Starts `drill run` (or node with `args`), waits for its first labelled container, then kills it `afterMs` later;
 * resolves with its exit and what was up at the kill.
 */
async function runAndKill(signal: NodeJS.Signals, afterMs: number, args: readonly string[] = drillArgs(['run', SCENARIO, '--report-dir', join(projectRoot, 'reports', 'cleanup-test')])): Promise<Kill> {
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let containersAtKill = 0;
  let runningAtKill = false;
  if (await firstContainer(child)) {
    await sleep(afterMs);
    runningAtKill = child.exitCode === null && child.signalCode === null;
    containersAtKill = (await leftovers(child.pid as number)).containers;
    child.kill(signal);
  }
  return { pid: child.pid as number, code: await exited, output, containersAtKill, runningAtKill };
}

test(`${RUNS} runs killed at random moments after their containers are up leave no containers or networks`, async () => {
  // Deterministic "random" moments after the first container: topology start, load, fault, revert, teardown.
  // The short drill took 11 s from its first container to its exit on 2 cores (its 3 s load, plus topology start
  // and teardown on any machine), so a kill within 4 s of the first container lands in a live run.
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < RUNS; i++) {
    const signal = SIGNALS[i % SIGNALS.length] as NodeJS.Signals;
    const afterMs = Math.round(next() * 4000);
    const { pid, code, output, containersAtKill, runningAtKill } = await runAndKill(signal, afterMs);
    const context = `run ${i} killed with ${signal} ${afterMs} ms after its first container (exit ${code}):\n${output.slice(-800)}`;
    // The kill hit a live run with something to clean up, else this round proves nothing.
    expect({ context, runningAtKill, up: containersAtKill > 0 }).toEqual({ context, runningAtKill: true, up: true });
    if (signal === 'SIGKILL') {
      // What the next run does first: sweep the leftovers of dead runs.
      await sweep({ onlyDead: true });
    } else {
      // Interrupted before it finished: it must say so with 130 (a finished run exits 0 or 1).
      expect({ context, code }).toEqual({ context, code: 130 });
    }
    expect({ context, left: await leftovers(pid) }).toEqual({ context, left: { containers: 0, networks: 0 } });
  }
}, 600_000);

test('drill compare interrupted with SIGINT or SIGTERM removes its topologies and exits 130', async () => {
  // compare starts topologies as run does; before it shared run's signal handling, Ctrl-C left one running.
  const compare = ['compare', SCENARIO, '--gateways', 'reference', '--rounds', '2', '--report-dir', join(projectRoot, 'reports', 'cleanup-test-compare')];
  for (const [signal, afterMs] of [['SIGINT', 1500], ['SIGTERM', 3000]] as const) {
    const { pid, code, output, containersAtKill, runningAtKill } = await runAndKill(signal, afterMs, drillArgs(compare));
    const context = `drill compare killed with ${signal} ${afterMs} ms after its first container (exit ${code}):\n${output.slice(-800)}`;
    expect({ context, runningAtKill, up: containersAtKill > 0 }).toEqual({ context, runningAtKill: true, up: true });
    expect({ context, code }).toEqual({ context, code: 130 });
    expect({ context, left: await leftovers(pid) }).toEqual({ context, left: { containers: 0, networks: 0 } });
  }
}, 180_000);

test("a team's jest run interrupted with SIGINT or SIGTERM while a drill runs removes its containers", async () => {
  // The drill runs in jest's own process (one test file runs in band), whose global setup is the one
  // `failover-drill/jest/global-setup` users configure, minus the machine setup (test/global-setup.ts).
  const config = {
    rootDir: projectRoot,
    testMatch: ['<rootDir>/test/fixtures/jest/interrupted-drill.fixture.ts'],
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    testEnvironment: '<rootDir>/services/model/onnx-test-environment.ts',
    globalSetup: '<rootDir>/test/global-setup.ts',
  };
  const jest = [join(projectRoot, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', JSON.stringify(config), '--ci'];
  for (const [signal, afterMs, exitCode] of [['SIGINT', 1500, 130], ['SIGTERM', 2500, 143]] as const) {
    const { pid, code, output, containersAtKill, runningAtKill } = await runAndKill(signal, afterMs, jest);
    const context = `jest killed with ${signal} ${afterMs} ms after its drill's first container (exit ${code}):\n${output.slice(-800)}`;
    expect({ context, runningAtKill, up: containersAtKill > 0 }).toEqual({ context, runningAtKill: true, up: true });
    expect({ context, code }).toEqual({ context, code: exitCode });
    expect({ context, left: await leftovers(pid) }).toEqual({ context, left: { containers: 0, networks: 0 } });
  }
}, 180_000);
