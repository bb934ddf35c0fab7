// Live progress of `drill run`: a status bar on a terminal, plain lines in CI logs.
import { SingleBar } from 'cli-progress';
import { isError } from '../measure/records';
import type { RunEvent } from '../runner';

interface LoadState {
  total: number;
  done: number;
  errors: number;
  wrong: number;
  servedBy: Record<string, number>;
  /** Completion times (ms since load start) of the last second, for requests/s. */
  recent: number[];
  faults: Map<string, string>;
}

const share = (servedBy: Record<string, number>): string => {
  const total = Object.values(servedBy).reduce((a, b) => a + b, 0);
  if (total === 0) return '-';
  return Object.entries(servedBy).map(([role, n]) => `${role} ${Math.round((100 * n) / total)}%`).join(' ');
};

const faultState = (faults: Map<string, string>): string =>
  faults.size === 0 ? 'none' : [...faults].map(([fault, state]) => `${fault} ${state}`).join(', ');

export interface ProgressReporter {
  onEvent(event: RunEvent): void;
  stop(): void;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stdout): ProgressReporter {
  const tty = stream.isTTY === true;
  let load: LoadState | undefined;
  let bar: SingleBar | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const stats = (l: LoadState) => {
    const latest = l.recent[l.recent.length - 1] ?? 0;
    l.recent = l.recent.filter((t) => t > latest - 1000);
    return { rps: l.recent.length, errors: l.errors, wrong: l.wrong, served: share(l.servedBy), fault: faultState(l.faults) };
  };
  const endLoad = (): void => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    bar?.stop();
    bar = undefined;
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'phase':
          if (event.phase !== 'load') endLoad();
          if (!tty || event.phase !== 'load') stream.write(`drill: ${event.drill}: ${event.phase}${event.detail ? ` (${event.detail})` : ''}\n`);
          break;
        case 'load': {
          load = { total: event.total, done: 0, errors: 0, wrong: 0, servedBy: {}, recent: [], faults: new Map() };
          const l = load;
          if (tty) {
            bar = new SingleBar({
              stream,
              format: `${event.drill} |{bar}| {value}/{total} req | {rps} req/s | errors {errors} | wrong {wrong} | {served} | faults: {fault}`,
              hideCursor: true,
              clearOnComplete: false,
            });
            bar.start(event.total, 0, stats(l));
          } else {
            ticker = setInterval(() => {
              const s = stats(l);
              stream.write(`drill: ${event.drill}: ${l.done}/${l.total} requests, ${s.rps} req/s, errors ${s.errors}, wrong ${s.wrong}, served ${s.served}, faults: ${s.fault}\n`);
            }, 1000);
          }
          break;
        }
        case 'record':
          if (!load) break;
          load.done++;
          if (isError(event.record)) load.errors++;
          else if (event.record.servedBy) load.servedBy[event.record.servedBy] = (load.servedBy[event.record.servedBy] ?? 0) + 1;
          if (event.record.wrong) load.wrong++;
          load.recent.push(event.record.doneMs);
          bar?.update(load.done, stats(load));
          break;
        case 'fault':
          load?.faults.set(`${event.fault}@${event.target}`, event.state);
          if (!tty) stream.write(`drill: ${event.drill}: fault ${event.fault} on ${event.target} ${event.state}${event.detail ? `: ${event.detail}` : ''}\n`);
          if (bar && load) bar.update(load.done, stats(load));
          break;
        case 'kept':
          stream.write(`drill: ${event.drill}: topology kept running (--keep); remove it with \`drill clean\`\n`);
          for (const [name, url] of Object.entries(event.endpoints)) stream.write(`  ${name.padEnd(14)} ${url}\n`);
          break;
      }
    },
    stop: endLoad,
  };
}
