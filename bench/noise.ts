// Noisy neighbours: N processes that each spin a core, as another job on a shared CI runner would. Like another
// job, each runs in a session of its own (detached), so the kernel's autogroup scheduler weighs it as one more
// session, not as part of the harness's. Being detached, a Ctrl-C does not reach them: they are killed when this
// process exits, and each also ends itself within milliseconds once its parent is gone (SIGKILL, a crash).
import { spawn, type ChildProcess } from 'node:child_process';

/** Spins a core; every few million turns it checks that the process that started it is still its parent. */
const SPIN = 'const parent = Number(process.argv[1]); for (let i = 0; ; i++) if (i % 5e6 === 0 && process.ppid !== parent) process.exit(0);';

export function startNoise(processes: number): { stop(): void } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i++) {
    children.push(spawn(process.execPath, ['-e', SPIN, String(process.pid)], { stdio: 'ignore', detached: true }));
  }
  const stop = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  return {
    stop() {
      process.removeListener('exit', stop);
      stop();
    },
  };
}
