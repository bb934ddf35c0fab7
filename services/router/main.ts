import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { rehearseFailover } from './rehearsal';
import { ROUTER_DEFAULTS, startRouter } from './server';

interface RouterCliOptions {
  primary: string;
  standby: string;
  port: number;
  host: string;
  attemptTimeoutMs: number;
  failover: boolean;
  panicRouting: boolean;
  failoverRehearsal: boolean;
  probeIntervalMs: number;
  failureThreshold: number;
  recoveryThreshold: number;
  slowThreshold: number;
  probeTimeoutMs: number;
  healthyProbeIntervalMs: number;
  flapWindowMs: number;
  hedging: boolean;
  hedgeDelayMs?: number;
  hedgePercentile: number;
  hedgeMinDelayMs: number;
  hedgeInitialDelayMs: number;
  hedgeWindowSize: number;
  allowedSha256?: string[];
  answerValidation: boolean;
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
    .option('--no-failover-rehearsal', 'skip the run of every failure path against throwaway local replicas before listening (saves ~0.2 s of startup; the first failover then takes a few ms longer)')
    .option(
      '--no-panic-routing',
      'with every breaker open, answer 503 at once instead of trying the replicas down only for failed requests that a probe has found ready since (never one that says it is not ready or answered wrongly)',
    )
    .addOption(
      new Option('--probe-interval-ms <n>', 'how often a replica with an open breaker (or a model still to learn) is probed on GET /readyz, whether or not the last probe has answered')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.probeIntervalMs),
    )
    .addOption(
      new Option('--healthy-probe-interval-ms <n>', 'how often a replica taking traffic is probed on GET /readyz (not ready: skipped)')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.healthyProbeIntervalMs),
    )
    .addOption(
      new Option('--probe-timeout-ms <n>', 'deadline for one GET /readyz probe')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.probeTimeoutMs),
    )
    .addOption(
      new Option('--failure-threshold <n>', 'consecutive 5xx, invalid or wrong-model answers that open a replica\'s breaker')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.failureThreshold),
    )
    .addOption(
      new Option('--slow-threshold <n>', 'consecutive lost hedges (the other replica answered first) that open a replica\'s breaker')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.slowThreshold),
    )
    .addOption(
      new Option('--recovery-threshold <n>', 'consecutive healthy probes before a replica with an open breaker takes traffic again')
        .argParser(parseInteger(1))
        .default(ROUTER_DEFAULTS.recoveryThreshold),
    )
    .addOption(
      new Option('--flap-window-ms <n>', 'a replica failing again this soon after recovering needs twice the healthy probes (up to 8x)')
        .argParser(parseInteger(0))
        .default(ROUTER_DEFAULTS.flapWindowMs),
    )
    .option('--no-hedging', 'never hedge: try the standby only after the primary fails')
    .option('--no-answer-validation', 'pass any 2xx answer on without checking its scores or model sha256 (negative control)')
    .addOption(
      new Option('--hedge-delay-ms <n>', 'fixed hedge delay, instead of the adaptive percentile of recent latency').argParser(parseInteger(0)),
    )
    .addOption(
      new Option('--hedge-percentile <n>', 'percentile of recent answer latency after which the adaptive hedge fires')
        .argParser(parseInteger(1, 100))
        .default(ROUTER_DEFAULTS.hedgePercentile),
    )
    .addOption(
      new Option('--hedge-min-delay-ms <n>', 'floor of the adaptive hedge delay')
        .argParser(parseInteger(0))
        .default(ROUTER_DEFAULTS.hedgeMinDelayMs),
    )
    .addOption(
      new Option('--hedge-initial-delay-ms <n>', 'hedge delay until a replica has 10 sampled answers')
        .argParser(parseInteger(0))
        .default(ROUTER_DEFAULTS.hedgeInitialDelayMs),
    )
    .addOption(
      new Option('--hedge-window-size <n>', 'recent answers per replica the adaptive hedge delay is computed over')
        .argParser(parseInteger(10))
        .default(ROUTER_DEFAULTS.hedgeWindowSize),
    )
    .addOption(
      new Option('--allowed-sha256 <list>', 'comma-separated model sha256 values answers may claim (default: learned from each replica\'s /readyz)')
        .argParser(parseShaList),
    )
    .action(async (opts: RouterCliOptions) => {
      if (opts.failoverRehearsal) await rehearse();
      const router = await startRouter({
        ...opts,
        onStateChange: (change) => log(change.breaker === 'open' ? 'warn' : 'info', `breaker ${change.breaker}`, { ...change }),
      });
      log('info', 'router listening', {
        url: router.url,
        primary: opts.primary,
        standby: opts.standby,
        failover: opts.failover,
        panicRouting: opts.panicRouting,
        hedging: opts.hedging,
      });
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

function parseShaList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  const bad = list.find((s) => !/^[0-9a-f]{64}$/.test(s));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a sha256 (64 hex digits).`);
  return list;
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

/** See rehearseFailover; a rehearsal that cannot run (no loopback, say) costs the first failover a few ms, nothing else. */
async function rehearse(): Promise<void> {
  const started = performance.now();
  try {
    const answers = await rehearseFailover();
    log('info', 'failover rehearsed', { ms: Math.round(performance.now() - started), requests: answers.length });
  } catch (e) {
    log('warn', 'failover rehearsal failed; starting without it', { error: e instanceof Error ? e.message : String(e) });
  }
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
