import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ROUTER_DEFAULTS, startRouter } from './server';

interface RouterCliOptions {
  primary: string;
  standby: string;
  port: number;
  host: string;
  attemptTimeoutMs: number;
  failover: boolean;
  probeIntervalMs: number;
  failureThreshold: number;
  recoveryThreshold: number;
}

/** `router`: the failover gateway as a CLI, standalone or mounted as `drill serve router`. */
export function routerCommand(): Command {
  return new Command('router')
    .description('Run the failover gateway in front of a primary and a standby inference replica.')
    .requiredOption('--primary <url>', 'origin of the primary replica, e.g. http://primary:8080', parseOrigin)
    .requiredOption('--standby <url>', 'origin of the standby replica', parseOrigin)
    .option('--port <n>', 'port to listen on (0 picks a free one)', parseInteger(0, 65535), 8080)
    .option('--host <address>', 'address to bind', ROUTER_DEFAULTS.host)
    .option('--attempt-timeout-ms <n>', 'deadline for one attempt on one replica', parseInteger(1), ROUTER_DEFAULTS.attemptTimeoutMs)
    .option('--no-failover', 'forward to the primary only (negative control)')
    .addOption(
      new Option('--probe-interval-ms <n>', 'how often a replica marked down is probed on GET /readyz')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.probeIntervalMs),
    )
    .addOption(
      new Option('--failure-threshold <n>', 'consecutive 5xx or invalid answers that mark a replica down')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.failureThreshold),
    )
    .addOption(
      new Option('--recovery-threshold <n>', 'consecutive healthy probes before a down replica takes traffic again')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.recoveryThreshold),
    )
    .action(async (opts: RouterCliOptions) => {
      const router = await startRouter({
        ...opts,
        onStateChange: (change) => log(change.state === 'down' ? 'warn' : 'info', `replica ${change.state}`, { ...change }),
      });
      log('info', 'router listening', { url: router.url, primary: opts.primary, standby: opts.standby, failover: opts.failover });
      const shutdown = (signal: NodeJS.Signals) => {
        log('info', 'router stopping', { signal });
        router.close().then(
          () => process.exit(0),
          (e: unknown) => {
            log('error', 'router did not close cleanly', { error: String(e) });
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}

/** Accepts an http(s) origin only: the gateway appends the replica's own paths. Commander names the flag and value. */
function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('It must be an http URL such as http://primary:8080.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`It must be an http URL, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new InvalidArgumentError(`It must be an origin without a path or query, such as ${url.origin}.`);
  }
  return url.origin;
}

function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`It must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: 'router', msg, ...fields })}\n`);
}

if (require.main === module) {
  // Exit codes follow the drill CLI: 2 invalid input, 3 infrastructure (e.g. the port is taken).
  routerCommand()
    .exitOverride()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
      log('error', 'router failed to start', { error: e instanceof Error ? e.message : String(e) });
      process.exit(3);
    });
}
