// The gateway's settings: flags of `drill serve router`, options of startRouter and the README table.
import { InvalidArgumentError } from 'commander';
import { parseInteger, parseOrigin, parsePort, parseShaList } from '../common/cli';
import { type OptionsOf, type ResolvedOf, setting, type Settings } from '../common/settings';
import type { ReplicaStateChange } from './replica-state';

const positive = parseInteger(1);
const parseRoute = (value: string): string => {
  if (!value.startsWith('/')) throw new InvalidArgumentError('It must be a path starting with /, such as /v2/health/ready.');
  return value;
};
const nonNegative = parseInteger(0);

export const ROUTER_SETTINGS = {
  primary: setting.required('--primary <url>', 'origin of the primary replica, e.g. http://primary:8080', parseOrigin),
  standby: setting.required('--standby <url>', 'origin of the standby replica', parseOrigin),
  port: setting.withDefault('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8080),
  host: setting.withDefault('--host <address>', 'address to bind', String, '0.0.0.0'),
  attemptTimeoutMs: setting.withDefault('--attempt-timeout-ms <n>', 'deadline for one attempt on one replica (connect, headers and body)', positive, 250),
  // Clients allow seconds (the drills' load generator 2 s); the last replica left to try keeps its attempt open this
  // long from the request's arrival instead of answering 503 at the attempt deadline. Measured in 5 runs of the
  // deploy, sync and corrupted-weights drills at 88-97 % CPU pressure (2 cores): 1965 of 6532 answers took over
  // 250 ms, p50 622 ms, p90 1536 ms, p99 1974 ms; with a 250 ms budget the same drills answered 79-475 503s each.
  requestTimeoutMs: setting.withDefault(
    '--request-timeout-ms <n>',
    "budget for one client request across its attempts: the last replica left to try gets what remains of it (at least one attempt deadline), since a late answer within the client's deadline beats a 503",
    positive,
    1500,
  ),
  failover: setting.switchOff('--no-failover', 'forward to the primary only (negative control)'),
  failoverRehearsal: setting.switchOff(
    '--no-failover-rehearsal',
    'skip the rehearsal before listening: the gateway otherwise takes itself once through every failure path (5xx, invalid body, ' +
      'wrong model, hedge, deadline, reset, crash, 503) against throwaway replicas on loopback, ~0.2 s, so the first real failover ' +
      'does not pay for compiling them',
  ),
  // After a stall of the gateway itself every breaker may be open while the replicas are healthy (as in Envoy's panic mode).
  panicRouting: setting.switchOff(
    '--no-panic-routing',
    'with every breaker open, answer 503 at once instead of first trying, one after the other, the replicas down only for failed ' +
      'requests that a probe has found ready since (a 503 after panic routing comes within the request timeout)',
  ),
  probeIntervalMs: setting.withDefault(
    '--probe-interval-ms <n>',
    '/readyz probes of a replica whose breaker is open (or whose model is still to learn), on a fixed cadence (a probe stuck until its timeout does not hold back the next)',
    positive,
    50,
  ),
  healthyProbeIntervalMs: setting.withDefault('--healthy-probe-interval-ms <n>', '/readyz health checks of a replica taking traffic (not ready: skipped)', positive, 1000),
  // Above the p99 of a healthy replica's /readyz on a loaded machine: 275 probes each of two replicas, every 50 ms
  // beside 200 rank req/s under 94-95 % CPU pressure (2 cores), took p50 3-4 ms, p90 18-24 ms, p99 283 and 460 ms,
  // max 546 ms. At 100 ms, 2-4 % of them failed, and one failure restarts the count of healthy probes: a breaker of
  // a healthy primary stayed open 2.3 s instead of 150 ms. Probes start on a fixed cadence, so a longer deadline
  // does not hold back fail-back from a silent replica.
  probeTimeoutMs: setting.withDefault('--probe-timeout-ms <n>', 'deadline for one probe', positive, 500),
  failureThreshold: setting.withDefault(
    '--failure-threshold <n>',
    'consecutive 5xx, invalid or wrong-model answers that open a breaker (connection errors open it at once, timeouts too while another replica is up)',
    positive,
    3,
  ),
  slowThreshold: setting.withDefault('--slow-threshold <n>', 'consecutive lost hedges (the other replica answered first) that open a breaker', positive, 10),
  recoveryThreshold: setting.withDefault('--recovery-threshold <n>', 'consecutive healthy probes before a replica with an open breaker takes traffic again', positive, 3),
  flapWindowMs: setting.withDefault('--flap-window-ms <n>', 'failing again this soon after recovering doubles the probes needed (up to 8×)', nonNegative, 5000),
  hedging: setting.switchOff('--no-hedging', 'never hedge: try the standby only after the primary fails'),
  hedgeDelayMs: setting.optional('--hedge-delay-ms <n>', 'fixed hedge delay, instead of the adaptive percentile of recent latency', nonNegative, 'adaptive'),
  hedgePercentile: setting.withDefault('--hedge-percentile <n>', 'percentile of recent answer latency after which the adaptive hedge fires', parseInteger(1, 100), 95),
  hedgeMinDelayMs: setting.withDefault('--hedge-min-delay-ms <n>', 'floor of the adaptive hedge delay', nonNegative, 2),
  // The gate's drills under 1 busy neighbour: the slowest 1 % of fault-window answers waited a median 100-200 ms in
  // the gateway before the attempt that answered (bad-deploy-reload, flapping-primary, primary-latency), where a
  // slow spell of the primary had filled the window; a healthy primary's p90 was 4-55 ms in the same runs.
  hedgeMaxDelayMs: setting.withDefault('--hedge-max-delay-ms <n>', 'ceiling of the adaptive hedge delay', nonNegative, 50),
  hedgeInitialDelayMs: setting.withDefault('--hedge-initial-delay-ms <n>', 'hedge delay until a replica has 10 sampled answers', nonNegative, 100),
  hedgeWindowSize: setting.withDefault('--hedge-window-size <n>', 'recent answers per replica the adaptive hedge delay is computed over', parseInteger(10), 500),
  allowedSha256: setting.optional(
    '--allowed-sha256 <list>',
    "comma-separated model sha256 values answers may claim; without it, those the replicas' /readyz report at start and at their first healthy probe",
    parseShaList,
    'learned',
  ),
  readinessPath: setting.withDefault(
    '--readiness-path <path>',
    "the replicas' readiness route (200: ready), e.g. /v2/health/ready for an OIP v2 server; one that names no model sha256 needs --allowed-sha256",
    parseRoute,
    '/readyz',
  ),
  answerValidation: setting.switchOff('--no-answer-validation', 'pass any 2xx answer on without checking its scores or model sha256 (negative control)'),
} satisfies Settings;

/** What startRouter takes: the settings (the rehearsal is the command's, before it) and a breaker listener. */
export type RouterOptions = Omit<OptionsOf<typeof ROUTER_SETTINGS>, 'failoverRehearsal'> & {
  /** Called on every breaker transition, e.g. to log it. */
  onStateChange?: (change: ReplicaStateChange) => void;
};

export type RouterConfig = Omit<ResolvedOf<typeof ROUTER_SETTINGS>, 'failoverRehearsal'>;
