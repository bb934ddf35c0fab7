// Stage 1, prepare: everything a drill needs decided before a container starts. The request set, the reference
// scores every answer is judged against, the load driver, and the topology the scenario asks for.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RankRequest, Role } from '../../services/common/contract';
import type { BuiltModel } from '../../services/model/build';
import { readModelDir } from '../../services/model/manifest';
import { cachedReferenceScores } from '../../services/model/reference-cache';
import { generateRequests } from '../../services/model/requests';
import { InvalidInputError } from '../errors';
import { installedK6, K6_START_LEAD_MS, runK6Load } from '../load/k6-driver';
import { runOpenLoad, type Judge, type LoadPlan } from '../load/open-load';
import { encodeRequests } from '../load/encode-requests';
import { oipV2Protocol, V1_PROTOCOL, type WireProtocol, type WireRequest } from '../load/protocol';
import { makeJudge, type ReferenceModel } from '../load/reference';
import { sizedModels } from './sized-models';
import type { RequestRecord } from '../measure/records';
import { prepare, type Prepared } from '../prepare';
import type { Scenario } from '../scenario/load';
import { protocolOf } from '../scenario/schema';
import { readSetupState } from '../setup/state';
import { withReplicaPart } from './replica-part';
import { GATEWAY_KINDS, type GatewayKindName } from '../topology/gateways';
import type { GatewayKind } from '../topology/parts';
import { ensureGatewayImage } from '../topology/gateways/images';
import type { TopologySpec } from '../topology/pool';
import type { GatewayOptions } from '../topology/topology';

export interface PlanOptions {
  /** Overrides the scenario's gateway settings (negative controls). */
  gateway?: Partial<GatewayOptions>;
  /** Extra flags for a replica's server (negative controls, e.g. the primary with --no-verify). */
  replicaArgs?: Partial<Record<Role, string[]>>;
}

export interface DrillPlan {
  scenario: Scenario;
  /** Unique per drill, not per topology: a reused topology sees the faults of several drills. */
  runId: string;
  prepared: Prepared;
  /**
   * What the replicas serve, by precision; the scenario's own model (topology.model) takes fp32's place, and a
   * size preset (topology.model.size) gives all three at that size.
   */
  models: Prepared['models'];
  /** The scenario's own model, when it names one. */
  own?: BuiltModel;
  /** The request set in the scenario's protocol; request i of the load sends requests[i % length]. */
  requests: WireRequest[];
  judge: Judge;
  spec: TopologySpec;
  /** Runs the measured load with the scenario's driver. */
  runLoad(plan: LoadPlan): Promise<RequestRecord[]>;
  /** How far ahead of its t0 the driver must be started to be sending at t0 (k6 is a process of its own). */
  startLeadMs: number;
}

/**
 * Reference scores of every model a replica may serve, so each answer is judged against the model it claims.
 * One model at a time (a large model's session is big), and each computed once per run for a request set.
 */
async function referenceScores(models: readonly BuiltModel[], requests: readonly RankRequest[]): Promise<ReferenceModel[]> {
  const references: ReferenceModel[] = [];
  for (const model of models) references.push(await cachedReferenceScores(model.onnx, model.manifest, requests));
  return references;
}

/** The model directory a scenario names as its own (topology.model), read and validated; undefined without one. */
async function ownModel(scenario: Scenario): Promise<BuiltModel | undefined> {
  const dir = scenario.topology.model;
  if (typeof dir !== 'string') return undefined;
  try {
    const { manifest, modelPath } = await readModelDir(dir);
    return { manifest, onnx: await readFile(modelPath) };
  } catch (cause) {
    throw new InvalidInputError(`${scenario.file}: topology.model: ${(cause as Error).message}`, { cause });
  }
}

/** The gateway the scenario chose: its kind, and the image it runs (a preset's is built on first use). */
async function gatewayPart(scenario: Scenario): Promise<Pick<TopologySpec, 'gatewayKind'> & { image?: string }> {
  const gateway = scenario.topology.gateway;
  if (typeof gateway === 'object') {
    const { image, ...spec } = gateway;
    return { gatewayKind: spec, image };
  }
  const recipe = (GATEWAY_KINDS[gateway as GatewayKindName] as GatewayKind).image;
  return { gatewayKind: gateway as GatewayKindName, ...(recipe ? { image: await ensureGatewayImage(recipe, readSetupState().baseImage) } : {}) };
}

/** `copiedIn`: the model both replicas are given before they start, in place of the image's. */
function topologySpec(scenario: Scenario, prepared: Prepared, allowed: readonly BuiltModel[], copiedIn: BuiltModel | undefined, opts: PlanOptions, part: Awaited<ReturnType<typeof gatewayPart>>): TopologySpec {
  const gateway: GatewayOptions = {
    ...scenario.gateway,
    ...(scenario.topology.allowNextModel ? { allowedSha256: allowed.map((m) => m.manifest.sha256) } : {}),
    ...opts.gateway,
  };
  return {
    images: { ...prepared.images, ...scenario.topology.images, ...(part.image ? { router: part.image } : {}) },
    ...(part.gatewayKind !== 'reference' ? { gatewayKind: part.gatewayKind } : {}),
    toxiproxyImage: prepared.toxiproxyImage,
    gateway,
    standbyPrecision: scenario.topology.standbyPrecision,
    ...(scenario.topology.sync ? { syncIntervalMs: scenario.topology.sync.interval } : {}),
    ...(opts.replicaArgs ? { replicaArgs: opts.replicaArgs } : {}),
    ...(copiedIn ? { model: copiedIn } : {}),
  };
}

/** topology.protocol for the model both replicas serve (v2 names it in the path and its tensors by name). */
function wireProtocol(scenario: Scenario, model: BuiltModel): WireProtocol {
  const choice = protocolOf(scenario.topology.protocol);
  if (choice.name === 'v1') return V1_PROTOCOL;
  // A server of your own may serve the model under another name than its manifest's: the path must name that one.
  const replicas = scenario.topology.replicas;
  const name = typeof replicas === 'object' && replicas.modelName ? replicas.modelName : model.manifest.name;
  return oipV2Protocol(choice.encoding, { ...model.manifest, name });
}

export async function planDrill(scenario: Scenario, opts: PlanOptions = {}): Promise<DrillPlan> {
  const prepared = await prepare();
  const own = await ownModel(scenario);
  const size = scenario.topology.model;
  const sized = typeof size === 'object' ? await sizedModels(size.size) : undefined;
  const models: Prepared['models'] = own ? { ...prepared.models, fp32: own } : (sized ?? prepared.models);
  const requests = generateRequests({ ...scenario.load.requests, vocab: models.fp32.manifest.io.vocab });
  // The models this deployment may serve: the gateway allows these and the judge accepts these, nothing else.
  const allowed = own ? [own] : [models.fp32, models.int8, ...(scenario.topology.allowNextModel ? [models.next] : [])];
  const protocol = wireProtocol(scenario, models.fp32);
  const judge = makeJudge(await referenceScores(allowed, requests), protocol);
  const k6 = scenario.load.driver === 'k6' ? installedK6() : undefined;
  return {
    scenario,
    runId: `${scenario.name}-${randomBytes(4).toString('hex')}`,
    prepared,
    models,
    ...(own ? { own } : {}),
    requests: encodeRequests(requests, protocol),
    judge,
    spec: await withReplicaPart(topologySpec(scenario, prepared, allowed, own ?? sized?.fp32, opts, await gatewayPart(scenario)), scenario, models, allowed),
    runLoad: (plan) => (k6 ? runK6Load(plan, judge, k6) : runOpenLoad(plan, judge)),
    // The built-in generator needs only a moment to schedule its first request.
    startLeadMs: k6 ? K6_START_LEAD_MS : 20,
  };
}
