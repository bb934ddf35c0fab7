// The scenario file format. Parsed in two steps (STYLE.md): the envelope here, then each fault's own attributes
// by its type (harness/faults). The same source generates scenarios/schema.json for editors.
import { z } from 'zod';
import { SIZE_PRESETS } from '../../services/model/shape';
import { METRICS } from '../measure/metrics';
import { GATEWAY_KIND_NAMES } from '../topology/gateways';
import { REPLICA_KIND_NAMES } from '../topology/replicas';
import { duration, positiveDuration } from './duration';

export const PHASES = ['run', 'baseline', 'fault', 'recovery'] as const;
export type Phase = (typeof PHASES)[number];

const faultEnvelope = z.object({
  at: duration.describe('when to inject, from the start of the load'),
  fault: z.string().describe('fault type, e.g. crash'),
  target: z.enum(['primary', 'standby', 'sync']).describe('a replica, or the standby\'s sync link to the primary (network faults only)'),
  duration: positiveDuration.optional().describe('revert after this long; without it the fault lasts until the end of the load'),
}).loose();

const servedBy = z.object({
  header: z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'),
  primary: z.string().min(1).describe('the header\'s value (or its ending, e.g. ":8666") when the primary answered'),
  standby: z.string().min(1),
}).strict();

/** Your own gateway: any image with a config file rendered from a template. */
const ownGateway = z.object({
  image: z.string().min(1),
  config: z.string().min(1).describe('config template, relative to this file; {{primaryHost}} {{primaryPort}} {{standbyHost}} {{standbyPort}} {{listenPort}} {{readinessPath}} are filled in'),
  configPath: z.string().regex(/^\//, 'an absolute path in the container').describe('where the rendered config is mounted'),
  command: z.array(z.string()).optional().describe('the container\'s command; default: the image\'s'),
  port: z.number().int().min(1).max(65535).describe('the port it listens on'),
  health: z.string().regex(/^\//, 'a path starting with /').describe('answers 200 once the gateway serves; the harness waits on it'),
  servedBy: servedBy.optional().describe('the response header that names the replica that answered; without it failover and fail-back are not measured'),
}).strict();

/** Your own model server: any image that speaks the Open Inference Protocol v2 (Triton, KServe, MLServer, ...). */
const ownReplicas = z.object({
  image: z.string().min(1),
  command: z.array(z.string()).optional().describe('the container\'s command; default: the image\'s. {{model}} is the model\'s name, {{role}} primary or standby'),
  port: z.number().int().min(1).max(65535).describe('the port its v2 REST endpoint listens on'),
  modelName: z.string().min(1).optional().describe('the model\'s name in v2 paths; default: the name in the model\'s manifest'),
  modelPath: z.string().regex(/^\//, 'an absolute path in the container').describe('where the replica\'s model file (ONNX) is written before the server starts, and where corrupt-weights writes'),
  manifestPath: z.string().regex(/^\//, 'an absolute path in the container').optional().describe('where the model\'s manifest.json is written too, for a server that reads it'),
  readiness: z.string().regex(/^\//, 'a path starting with /').describe('answers 200 once the model is served, e.g. /v2/models/{{model}}/ready'),
}).strict();

/** The protocol the load speaks to the gateway; the replicas behind it are asked the same. */
export const PROTOCOLS = ['v1', 'oip-v2'] as const;
const protocol = z.union([
  z.enum(PROTOCOLS),
  z.object({
    name: z.literal('oip-v2'),
    encoding: z.enum(['binary', 'json']).default('binary').describe('tensors as raw bytes after the JSON part (the binary tensor data extension), or as JSON numbers'),
  }).strict(),
]);

export const scenarioSchema = z.object({
  $schema: z.string().optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  description: z.string().min(1),
  topology: z.object({
    standbyPrecision: z.enum(['fp32', 'int8']).default('fp32').describe('the standby may serve the int8 variant of the primary\'s model'),
    sync: z.object({
      interval: positiveDuration.default(1000).describe('how often the standby polls the primary\'s model'),
    }).strict().optional().describe('hot backup: the standby syncs verified weights from the primary through the sync proxy'),
    images: z.object({
      inference: z.string().min(1).optional().describe('your model-server image: same CLI flags and HTTP contract as services/inference'),
      router: z.string().min(1).optional().describe('your gateway image: takes --primary URL --standby URL --port 8080, same HTTP contract'),
    }).strict().optional().describe('run your own images instead of the reference services'),
    allowNextModel: z.boolean().default(false).describe('the next model version is a legitimate rollout: the gateway allows it and answers from it are judged against it'),
    gateway: z.union([z.enum(GATEWAY_KIND_NAMES as [string, ...string[]]), ownGateway]).default('reference')
      .describe(`the gateway in front of the replicas: ${GATEWAY_KIND_NAMES.join(', ')}, or your own (image, config template, servedBy)`),
    replicas: z.union([z.enum(REPLICA_KIND_NAMES as [string, ...string[]]), ownReplicas]).optional()
      .describe(`the model server both replicas run: ${REPLICA_KIND_NAMES.join(', ')} (default reference), or your own OIP v2 server (image, command, port, modelPath, readiness)`),
    protocol: protocol.default('v1')
      .describe('what the load sends: v1 (POST /v1/rank, JSON), oip-v2 (Open Inference Protocol v2, POST /v2/models/{name}/infer with binary tensors), or {name: oip-v2, encoding: json} for JSON tensors'),
    model: z.union([
      z.string().min(1).describe('your model: a directory from `drill model manifest` (or `drill model build`), relative to this file. Both replicas serve it (copied in at start) and answers are judged against it'),
      z.object({ size: z.enum(Object.keys(SIZE_PRESETS) as [string, ...string[]]) }).strict()
        .describe('the reference model at another size (`drill model build --size`): built once and cached, with its int8 variant and next version, and copied into both replicas at start'),
    ]).optional(),
  }).strict().default({ standbyPrecision: 'fp32', allowNextModel: false, gateway: 'reference', protocol: 'v1' }),
  gateway: z.object({
    failover: z.boolean().default(true),
    attemptTimeoutMs: z.number().int().positive().optional(),
  }).strict().default({ failover: true }),
  load: z.object({
    rate: z.number().positive().max(5000).describe('requests per second, sent on schedule (open model)'),
    driver: z.enum(['builtin', 'k6']).default('builtin').describe('who sends the load: the built-in generator, or the k6 binary setup installs'),
    duration: positiveDuration,
    warmup: duration.default(500).describe('requests before the measured load, not recorded'),
    timeout: positiveDuration.default(2000).describe('client-side limit on one request'),
    slo: positiveDuration.default(250).describe('a response slower than this counts as late'),
    requests: z.object({
      count: z.number().int().min(1).max(10_000).default(64),
      candidates: z.number().int().min(1).max(1000).default(100),
      seed: z.number().int().default(7),
    }).strict().default({ count: 64, candidates: 100, seed: 7 }),
  }).strict(),
  steadyState: z.object({
    before: z.boolean().default(true).describe('before faults: replicas ready and the gateway answering correctly from the primary, else the drill is an error'),
    after: z.boolean().default(true).describe('after faults are reverted: the same must hold again within timeout, else the drill fails'),
    timeout: positiveDuration.default(15_000),
  }).strict().default({ before: true, after: true, timeout: 15_000 }),
  faults: z.array(faultEnvelope).default([]),
  measure: z.object({
    steadyCount: z.number().int().min(1).default(20).describe('consecutive successes that end a failover or an outage'),
    drift: z.object({
      interval: positiveDuration.default(5000).describe('how often each container\'s memory and CPU are sampled from the Docker engine'),
      window: positiveDuration.default(60_000).describe('latency is summarized per window of the load; drift compares the last window with the first'),
      settle: duration.default(2000).describe('requests sent within this long after a fault is reverted do not count toward window latency'),
    }).strict().optional().describe('soak drills: memory and latency drift of the replicas and the gateway over the run'),
  }).strict().default({ steadyCount: 20 }),
  rollback: z.object({
    stopOn: z.object({
      errors: z.number().int().min(1).optional().describe('failed requests (no 2xx) seen by the load'),
      wrongAnswers: z.number().int().min(1).optional().describe('answers whose scores do not match the model they claim'),
    }).strict().optional().describe('stop conditions: when the load has seen this many, every active fault is reverted at once, the rest of the timeline is cancelled, and the drill fails (the load runs on, so recovery is measured)'),
  }).strict().default({}).describe('what happens to the faults before the drill ends; faults are always reverted at the end of their window and of the drill'),
  thresholds: z.array(z.object({
    metric: z.enum(METRICS),
    max: z.number().optional().describe('pass when observed <= max'),
    min: z.number().optional().describe('pass when observed >= min'),
    phase: z.enum(PHASES).default('run'),
  }).strict().refine((t) => (t.max === undefined) !== (t.min === undefined), 'give exactly one of "max" or "min"')).min(1, 'a drill needs at least one threshold'),
}).strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ProtocolChoice = z.output<typeof protocol>;

/** topology.protocol in its long form: oip-v2 alone means binary tensors. */
export function protocolOf(choice: ProtocolChoice): { name: 'v1' } | { name: 'oip-v2'; encoding: 'binary' | 'json' } {
  if (typeof choice === 'object') return choice;
  return choice === 'v1' ? { name: 'v1' } : { name: 'oip-v2', encoding: 'binary' };
}
export type ScenarioEnvelope = z.output<typeof scenarioSchema>;
export type FaultEnvelope = z.output<typeof faultEnvelope>;
