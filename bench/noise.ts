// Noisy neighbours: N processes that each spin a core, as another job on a shared CI runner would. They are
// children of this process and die with it (also on Ctrl-C).
import { spawn, type ChildProcess } from 'node:child_process';

export function startNoise(processes: number): { stop(): void } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i++) {
    children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
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
