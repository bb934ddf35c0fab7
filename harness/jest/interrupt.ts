// jest runs drills in its own process (in band, as with maxWorkers 1) or in worker processes it starts. Without
// this, a Ctrl-C or a SIGTERM to jest (a CI job cancelled, a timeout) ended them with their containers still up;
// the next run's sweep removed them, but nothing sooner. Installed by the global setup, in jest's own process.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sweep } from '../topology/cleanup';

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
/** A sweep that hangs (an engine that stopped answering) does not keep jest from exiting past this. */
const SWEEP_LIMIT_MS = 60_000;
/** Sweeps until one finds nothing, this far apart, at most this many. */
const SWEEP_PAUSE_MS = 500;
const SWEEP_ROUNDS = 20;
let installed = false;

/** The processes `pid` started (jest's workers), from /proc; none where there is no /proc. */
export function childPids(pid: number, proc = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc).filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`${proc}/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Sweeps this jest run's containers and networks until a sweep finds none: a drill that was starting its topology
 * when the signal came goes on creating what the first sweep did not see yet (seen: a container and a network left
 * by a SIGINT 1.5 s into a topology's start).
 */
async function sweepUntilClean(): Promise<void> {
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    const found = await sweep({ onlyDead: false, ownerPids: [process.pid, ...childPids(process.pid)] });
    if (round > 0 && found.containers === 0 && found.networks === 0) return;
    await sleep(SWEEP_PAUSE_MS);
  }
}

/**
 * On the first SIGINT or SIGTERM: removes the containers and networks that drills of this jest run started (in
 * this process or its workers), then exits with 128 + the signal's number. Idempotent.
 */
export function sweepOnSignal(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = EXIT_CODES[signal] ?? 1;
    console.error(`\nfailover-drill: ${signal}: removing the containers and networks of this jest run's drills`);
    const realExit = process.exit.bind(process);
    // Jest sets process.exitCode to 1 in an 'exit' listener once a test failed (the drill whose containers went);
    // one added last has the last word.
    const exit = (): void => {
      process.on('exit', () => (process.exitCode = code));
      realExit(code);
    };
    void sweepUntilClean()
      .catch((e: unknown) => console.error(`failover-drill: the sweep failed (\`drill clean\` removes what is left): ${String(e)}`))
      .finally(exit);
    setTimeout(() => {
      console.error(`failover-drill: the sweep did not end within ${SWEEP_LIMIT_MS / 1000} s; exiting (\`drill clean\` removes what is left)`);
      exit();
    }, SWEEP_LIMIT_MS).unref();
    // The drill under way fails as its containers go, and jest may end its run before the sweep is done: an exit
    // then would cut the sweep short and report a failed run, not an interrupted one (seen in CI: exit 1). From
    // here on, only the sweep's end exits, with the signal's code.
    process.exitCode = code;
    process.exit = (() => undefined) as unknown as typeof process.exit;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
