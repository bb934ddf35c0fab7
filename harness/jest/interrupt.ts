// jest runs drills in its own process (in band, as with maxWorkers 1) or in worker processes it starts. Without
// this, a Ctrl-C or a SIGTERM to jest (a CI job cancelled, a timeout) ended them with their containers still up;
// the next run's sweep removed them, but nothing sooner. Installed by the global setup, in jest's own process.
import { readdirSync, readFileSync } from 'node:fs';
import { sweep } from '../topology/cleanup';

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
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
 * On the first SIGINT or SIGTERM: removes the containers and networks that drills of this jest run started (in
 * this process or its workers), then exits with 128 + the signal's number. Idempotent.
 */
export function sweepOnSignal(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nfailover-drill: ${signal}: removing the containers and networks of this jest run's drills`);
    void sweep({ onlyDead: false, ownerPids: [process.pid, ...childPids(process.pid)] })
      .catch((e: unknown) => console.error(`failover-drill: the sweep failed (\`drill clean\` removes what is left): ${String(e)}`))
      .finally(() => process.exit(EXIT_CODES[signal] ?? 1));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
