// Runs one scenario against the reference deployment and writes its journal:
// validated Scenario -> topology up -> steady state -> load + fault timeline -> records -> measurements ->
// verdicts -> journal.json. Everything the run started is removed before it returns, also on error.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient } from 'testcontainers';
import { request } from 'undici';
import type { RankRequest, Role } from '../services/common/contract';
import { readModelDir } from '../services/model/manifest';
import { generateRequests } from '../services/model/requests';
import type { BuiltModel } from '../services/model/build';
import { Ranker } from '../services/model/ranker';
import { InvalidInputError, isInfrastructureError } from './errors';
import { FAULTS } from './faults';
import type { FaultContext, FaultType } from './faults/fault';
import { measureConsistency } from './measure/consistency';
import { drift, latencyWindows, sampleResources } from './measure/drift';
import { installedK6, K6_START_LEAD_MS, runK6Load } from './load/k6-driver';
import { loadShortfall, runOpenLoad, type LoadPlan } from './load/open-load';
import { makeJudge, type ReferenceModel } from './load/reference';
import { measure, type FaultWindow } from './measure/measure';
import { isError, isGood, isWrong, type RequestRecord } from './measure/records';
import { evaluate } from './measure/thresholds';
import { prepare, type Prepared } from './prepare';
import type { Diagnosis, Journal, JournalFault, ReplicaDiagnosis, SteadyStateCheck, Verdict } from './report/journal';
import type { Scenario } from './scenario/load';
import { TopologyPool, type TopologySpec } from './topology/pool';
import { startTopology, type GatewayOptions, type Link, type Topology } from './topology/topology';

export type RunPhase = 'prepare' | 'topology' | 'steady-state' | 'warmup' | 'load' | 'recovery' | 'teardown';

/** What a run reports as it goes, for live progress. */
export type RunEvent =
  | { type: 'phase'; drill: string; phase: RunPhase; detail?: string }
  | { type: 'load'; drill: string; total: number; rate: number }
  | { type: 'record'; drill: string; record: RequestRecord }
  | { type: 'fault'; drill: string; fault: string; target: string; state: 'injected' | 'reverted' | 'failed'; detail?: string }
  | { type: 'kept'; drill: string; endpoints: Record<string, string> };

export interface RunOptions {
  /** Overrides the scenario's gateway settings (used by negative controls). */
  gateway?: Partial<GatewayOptions>;
  onEvent?: (event: RunEvent) => void;
  /** Interrupts the run: faults are reverted, the topology removed and a partial journal returned. */
  signal?: AbortSignal;
  /** Leave the topology running after the drill (removed by `drill clean`). */
  keep?: boolean;
  /** Extra flags for a replica's server (negative controls, e.g. the primary with --no-verify). */
  replicaArgs?: Partial<Record<Role, string[]>>;
  /** Reuse topologies across drills (reset between them) instead of starting one per drill. Ignored with keep. */
  topologies?: TopologyPool;
}

const STEADY_STATE_REQUESTS = 10;

/** Reference scores of every model a replica may serve, so each answer is judged against the model it claims. */
async function referenceScores(models: readonly BuiltModel[], requests: readonly RankRequest[]): Promise<ReferenceModel[]> {
  return Promise.all(models.map(async (model): Promise<ReferenceModel> => {
    const ranker = await Ranker.load(model.onnx, model.manifest.io);
    try {
      const scores: Float32Array[] = [];
      for (const r of requests) scores.push(Float32Array.from(await ranker.score(r)));
      return { sha256: model.manifest.sha256, precision: model.manifest.precision, scores };
    } finally {
      await ranker.release();
    }
  }));
}

/** Polls the steady state until it holds or `timeoutMs` passes (recovery after faults takes a moment). */
async function awaitSteadyState(check: () => Promise<string | undefined>, timeoutMs: number): Promise<SteadyStateCheck> {
  const started = performance.now();
  for (;;) {
    const problem = await check().catch((e: Error) => `steady-state check failed: ${e.message}`);
    const elapsedMs = Math.round(performance.now() - started);
    if (problem === undefined) return { ok: true, elapsedMs };
    if (elapsedMs >= timeoutMs) return { ok: false, detail: `${problem} (still after ${timeoutMs} ms)`, elapsedMs };
    await sleep(200);
  }
}

/** Both replicas ready and the gateway answering correctly from the primary. */
async function checkSteadyState(topology: Topology, bodies: readonly string[], judge: ReturnType<typeof makeJudge>, sloMs: number, hotBackup: boolean): Promise<string | undefined> {
  const serving: Partial<Record<Role, string>> = {};
  for (const replica of Object.values(topology.replicas)) {
    const res = await replica.directUrl().then((url) => request(`${url}/readyz`)).catch((e: Error) => e);
    if (res instanceof Error) return `${replica.role} /readyz unreachable: ${res.message}`;
    const body = await res.body.text();
    if (res.statusCode !== 200) return `${replica.role} not ready: ${res.statusCode} ${body}`;
    serving[replica.role] = (JSON.parse(body) as { model?: { sha256?: string } }).model?.sha256;
  }
  // With hot backup on the same precision, the standby must be serving exactly what the primary serves.
  if (hotBackup && topology.replicas.standby.precision === topology.replicas.primary.precision && serving.standby !== serving.primary) {
    return `the standby serves model ${serving.standby?.slice(0, 12)}, not the primary's ${serving.primary?.slice(0, 12)}: its hot backup has not caught up`;
  }
  for (let i = 0; i < STEADY_STATE_REQUESTS; i++) {
    const started = performance.now();
    const res = await request(`${topology.gatewayUrl}/v1/rank`, { method: 'POST', body: bodies[i % bodies.length], headers: { 'content-type': 'application/json' } });
    const body = await res.body.text();
    const done = performance.now();
    const record: RequestRecord = { seq: i, request: i % bodies.length, scheduledMs: 0, sentMs: started, doneMs: done, status: res.statusCode, ...judge(i % bodies.length, body) };
    // Connection set-up makes the very first request slow; judge it on correctness only.
    if (!isGood(record, i === 0 ? Infinity : sloMs)) return `gateway request ${i} was not a good answer before any fault: ${res.statusCode} ${body.slice(0, 200)}`;
    if (res.headers['x-served-by'] !== 'primary') return `gateway request ${i} was served by ${String(res.headers['x-served-by'])}, not the primary, before any fault`;
  }
  return undefined;
}

async function diagnoseReplicas(topology: Topology): Promise<ReplicaDiagnosis[]> {
  return Promise.all(Object.values(topology.replicas).map(async (replica): Promise<ReplicaDiagnosis> => {
    let readiness: string;
    try {
      const res = await request(`${await replica.directUrl()}/readyz`, { headersTimeout: 1000, bodyTimeout: 1000 });
      readiness = `${res.statusCode} ${await res.body.text()}`;
    } catch (e) {
      readiness = `unreachable: ${(e as Error).message}`;
    }
    let logTail: string[] = [];
    try {
      const logs = await replica.container.logs({ tail: 20 });
      logTail = await new Promise<string[]>((resolve) => {
        const lines: string[] = [];
        logs.on('data', (line: string | Buffer) => lines.push(String(line).trimEnd()));
        logs.on('end', () => resolve(lines));
        logs.on('error', () => resolve(lines));
        setTimeout(() => resolve(lines), 1000);
      });
    } catch (e) {
      logTail = [`logs unavailable: ${(e as Error).message}`];
    }
    return { role: replica.role, readiness, logTail };
  }));
}

/** What the fault timeline works on. */
interface Drill {
  scenario: Scenario;
  runId: string;
  topology: Topology;
  models: Prepared['models'];
}

function faultContext({ scenario, runId, topology, models }: Drill, i: number, markInjected: () => void = () => undefined): FaultContext {
  // Unique per drill, not per topology: a reused topology sees the faults of several drills.
  return { id: `${runId}-fault-${i}`, topology, models, target: topology.target((scenario.faults[i] as Scenario['faults'][number]).target), markInjected };
}

/** Work a fault can do ahead (e.g. building damaged weights), done before the load so it cannot stall it. */
async function prepareFaults(drill: Drill): Promise<void> {
  await Promise.all(drill.scenario.faults.map((f, i) => (FAULTS[f.fault] as FaultType<unknown, Link>).prepare?.(faultContext(drill, i), f.attributes)));
}

/** Injects and reverts each fault on schedule relative to the load's t0; records what happened. */
function runTimeline(drill: Drill, t0: number, emit: (e: RunEvent) => void, interrupt?: AbortSignal): { done: Promise<void>; entries: JournalFault[]; revertAll: () => Promise<void>; rollback: () => void } {
  const { scenario } = drill;
  // A rollback (stop condition) ends every fault window now and cancels the faults not yet injected.
  const rollback = new AbortController();
  const signal = interrupt ? AbortSignal.any([interrupt, rollback.signal]) : rollback.signal;
  const report = (i: number, state: 'injected' | 'reverted' | 'failed', detail?: string): void => {
    const f = scenario.faults[i] as Scenario['faults'][number];
    emit({ type: 'fault', drill: scenario.name, fault: f.fault, target: f.target, state, ...(detail ? { detail } : {}) });
  };
  const entries: JournalFault[] = scenario.faults.map((f) => ({ fault: f.fault, target: f.target, at: f.at, attributes: f.attributes }));
  const injected = new Set<number>();
  // Injected faults without a window: they last until the end of the drill, or a rollback.
  const lasting = new Set<number>();
  const context = (i: number): FaultContext => faultContext(drill, i);
  const revert = async (i: number): Promise<void> => {
    if (!injected.delete(i)) return;
    const f = scenario.faults[i] as Scenario['faults'][number];
    const entry = entries[i] as JournalFault;
    try {
      await (FAULTS[f.fault] as FaultType<unknown, Link>).revert(context(i), f.attributes);
      entry.revertedAtMs = performance.now() - t0;
      report(i, 'reverted');
    } catch (e) {
      entry.error = `revert failed: ${(e as Error).message}`;
      report(i, 'failed', entry.error);
    }
  };
  const done = Promise.all(scenario.faults.map(async (f, i) => {
    await sleep(Math.max(0, t0 + f.at - performance.now()), undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) return;
    const entry = entries[i] as JournalFault;
    let effective = performance.now() - t0;
    try {
      injected.add(i);
      const fault = FAULTS[f.fault] as FaultType<unknown, Link>;
      await fault.inject(faultContext(drill, i, () => { effective = performance.now() - t0; }), f.attributes);
      entry.injectedAtMs = effective;
      report(i, 'injected');
      const ineffective = await fault.verify?.(context(i), f.attributes);
      if (ineffective) throw new Error(`the fault did not take effect: ${ineffective}`);
    } catch (e) {
      entry.error = `inject failed: ${(e as Error).message}`;
      report(i, 'failed', entry.error);
      return;
    }
    if (f.duration !== undefined) {
      await sleep(Math.max(0, t0 + f.at + f.duration - performance.now()), undefined, { signal }).catch(() => undefined);
      await revert(i);
    } else if (rollback.signal.aborted) {
      await revert(i);
    } else {
      lasting.add(i);
    }
  })).then(() => undefined);
  let rollingBack = Promise.resolve();
  const revertAll = async (): Promise<void> => {
    await Promise.all([...injected].map(revert));
    await rollingBack;
  };
  return {
    done,
    entries,
    revertAll,
    rollback: () => {
      rollback.abort();
      rollingBack = Promise.all([...lasting].map(revert)).then(() => undefined);
    },
  };
}

function compactRecords(records: readonly RequestRecord[]): NonNullable<Journal['records']> {
  return {
    sentMs: records.map((r) => Math.round(r.sentMs * 1000) / 1000),
    doneMs: records.map((r) => Math.round(r.doneMs * 1000) / 1000),
    status: records.map((r) => r.status),
    servedBy: records.map((r) => r.servedBy ?? null),
    wrong: records.map((r) => r.wrong === true),
    error: records.map((r) => r.error ?? null),
  };
}

/** The model directory a scenario names as its own (topology.model), read and validated; undefined without one. */
async function ownModel(scenario: Scenario): Promise<BuiltModel | undefined> {
  const dir = scenario.topology.model;
  if (dir === undefined) return undefined;
  try {
    const { manifest, modelPath } = await readModelDir(dir);
    return { manifest, onnx: await readFile(modelPath) };
  } catch (cause) {
    throw new InvalidInputError(`${scenario.file}: topology.model: ${(cause as Error).message}`, { cause });
  }
}

export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<Journal> {
  const emit = opts.onEvent ?? (() => undefined);
  const phase = (p: RunPhase, detail?: string): void => emit({ type: 'phase', drill: scenario.name, phase: p, ...(detail ? { detail } : {}) });
  const signal = opts.signal;
  const runId = `${scenario.name}-${randomBytes(4).toString('hex')}`;
  const startedAt = new Date();
  const started = performance.now();
  phase('prepare');
  const prepared = await prepare();
  // Your own model (topology.model) takes the reference fp32 model's place: replicas serve it, the judge uses it.
  const own = await ownModel(scenario);
  const models: Prepared['models'] = own ? { ...prepared.models, fp32: own } : prepared.models;
  const journal: Journal = {
    schemaVersion: 1,
    scenario: { name: scenario.name, description: scenario.description, file: scenario.file },
    runId,
    verdict: 'error',
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      images: { ...prepared.images, ...scenario.topology.images, toxiproxy: prepared.toxiproxyImage },
      models: Object.fromEntries(Object.entries(own ? { fp32: own } : models).map(([name, m]) => [name, { version: m.manifest.version, sha256: m.manifest.sha256, bytes: m.manifest.bytes }])),
      seed: scenario.load.requests.seed,
    },
    timing: { totalMs: 0 },
    faults: [],
    steadyState: {},
    thresholds: [],
    diagnosis: { replicas: [] },
  };
  const requests = generateRequests({ ...scenario.load.requests, vocab: models.fp32.manifest.io.vocab });
  const bodies = requests.map((r) => JSON.stringify(r));
  // The models this deployment may serve: the gateway allows these and the judge accepts these, nothing else.
  const allowed = own ? [own] : [models.fp32, models.int8, ...(scenario.topology.allowNextModel ? [models.next] : [])];
  const judge = makeJudge(await referenceScores(allowed, requests));
  // Load driver (issue 7): k6 is a separate process and needs a head start to be sending at t0.
  const k6 = scenario.load.driver === 'k6' ? installedK6() : undefined;
  const runLoad = (p: LoadPlan): Promise<RequestRecord[]> => (k6 ? runK6Load(p, judge, k6) : runOpenLoad(p, judge));
  const gateway: GatewayOptions = {
    ...scenario.gateway,
    ...(scenario.topology.allowNextModel ? { allowedSha256: allowed.map((m) => m.manifest.sha256) } : {}),
    ...opts.gateway,
  };
  const interrupted = (): boolean => signal?.aborted === true;

  const spec: TopologySpec = {
    images: { ...prepared.images, ...scenario.topology.images },
    toxiproxyImage: prepared.toxiproxyImage,
    gateway,
    standbyPrecision: scenario.topology.standbyPrecision,
    ...(scenario.topology.sync ? { syncIntervalMs: scenario.topology.sync.interval } : {}),
    ...(opts.replicaArgs ? { replicaArgs: opts.replicaArgs } : {}),
    ...(own ? { model: own } : {}),
  };
  const pool = opts.keep ? undefined : opts.topologies;
  let topology: Topology | undefined;
  const diagnosis: Diagnosis = { replicas: [] };
  try {
    phase('topology', `run ${runId}`);
    const upStarted = performance.now();
    if (pool) {
      const acquired = await pool.acquire(spec, { primary: models.fp32, standby: models[spec.standbyPrecision] });
      topology = acquired.topology;
      journal.topology = { runId: topology.runId, reused: acquired.reused, ...(acquired.resetProblem ? { resetProblem: acquired.resetProblem } : {}) };
    } else {
      topology = await startTopology({ ...spec, runId, keep: opts.keep === true });
      journal.topology = { runId, reused: false };
    }
    journal.timing.topologyUpMs = Math.round(performance.now() - upStarted);
    if (interrupted()) return finishInterrupted();

    const steady = (t: Topology) => (): Promise<string | undefined> => checkSteadyState(t, bodies, judge, scenario.load.slo, scenario.topology.sync !== undefined);
    if (scenario.steadyState.before) {
      phase('steady-state');
      // A fresh topology can take a moment to answer; an environment that never gets there is not a verdict.
      const before = await awaitSteadyState(steady(topology), scenario.steadyState.timeout);
      journal.steadyState.before = before;
      if (!before.ok) {
        diagnosis.firstFailure = `steady state before faults (environment unhealthy): ${before.detail}`;
        diagnosis.replicas = await diagnoseReplicas(topology);
        return finish('error');
      }
    }

    // Before any fault, both replicas healthy: how far apart are their answers?
    const consistency = await measureConsistency(topology, bodies);

    const plan = { url: topology.gatewayUrl, rate: scenario.load.rate, timeoutMs: scenario.load.timeout, bodies, ...(signal ? { signal } : {}) };
    if (scenario.load.warmup > 0 && !interrupted()) {
      phase('warmup');
      // Same rate, not recorded: connection pools and JIT of the serving path are warm when measuring starts.
      // Built-in for either driver: it is the servers that need warming, and k6 takes 1-2 s to launch.
      await runOpenLoad({ ...plan, durationMs: scenario.load.warmup, t0: performance.now() }, judge);
    }
    if (interrupted()) return finishInterrupted();
    const drill: Drill = { scenario, runId, topology, models };
    await prepareFaults(drill);
    phase('load', `${scenario.load.rate} req/s for ${scenario.load.duration} ms, ${scenario.faults.length} fault(s)`);
    emit({ type: 'load', drill: scenario.name, total: Math.round((scenario.load.rate * scenario.load.duration) / 1000), rate: scenario.load.rate });
    const t0 = performance.now() + (k6 ? K6_START_LEAD_MS : 20);
    const timeline = runTimeline(drill, t0, emit, signal);
    const driftSpec = scenario.measure.drift;
    const resources = driftSpec && sampleResources((await getContainerRuntimeClient()).container.dockerode, {
      primary: topology.replicas.primary.container.getId(),
      standby: topology.replicas.standby.container.getId(),
      gateway: topology.gateway.getId(),
    }, t0, driftSpec.interval);
    let records: RequestRecord[];
    let samples: Awaited<ReturnType<NonNullable<typeof resources>['stop']>> | undefined;
    const stopOn = scenario.rollback.stopOn;
    const seen = { errors: 0, wrongAnswers: 0 };
    try {
      const onRecord = (record: RequestRecord): void => {
        emit({ type: 'record', drill: scenario.name, record });
        if (!stopOn || journal.rollback) return;
        if (isError(record)) seen.errors++;
        if (isWrong(record)) seen.wrongAnswers++;
        const reached = (['errors', 'wrongAnswers'] as const).find((k) => stopOn[k] !== undefined && seen[k] >= (stopOn[k] as number));
        if (!reached) return;
        journal.rollback = { atMs: Math.round(performance.now() - t0), reason: `stop condition ${reached} >= ${stopOn[reached]} reached` };
        emit({ type: 'phase', drill: scenario.name, phase: 'load', detail: `rollback: ${journal.rollback.reason}; reverting every fault` });
        timeline.rollback();
      };
      [records] = await Promise.all([runLoad({ ...plan, durationMs: scenario.load.duration, t0, onRecord }), timeline.done]);
    } finally {
      samples = await resources?.stop();
      await timeline.revertAll();
    }
    journal.timing.loadMs = Math.round(performance.now() - t0);
    journal.faults = timeline.entries;
    journal.records = compactRecords(records);

    const failedFault = timeline.entries.find((f) => f.error);
    const windows: FaultWindow[] = timeline.entries.flatMap((f) =>
      f.injectedAtMs === undefined ? [] : [{ injectedAtMs: f.injectedAtMs, ...(f.revertedAtMs !== undefined ? { revertedAtMs: f.revertedAtMs } : {}) }]);
    const measurements = {
      ...measure(records, windows, { sloMs: scenario.load.slo, steadyCount: scenario.measure.steadyCount }),
      consistency,
      ...(driftSpec && samples ? { drift: drift(samples, latencyWindows(records, windows, driftSpec.window, driftSpec.settle)) } : {}),
    };
    journal.measurements = measurements;
    journal.thresholds = evaluate(measurements, scenario.thresholds);
    if (interrupted()) return finishInterrupted();
    const shortfall = loadShortfall(records, Math.round((scenario.load.rate * scenario.load.duration) / 1000));
    if (shortfall) {
      diagnosis.firstFailure = `load: ${shortfall}`;
      diagnosis.replicas = await diagnoseReplicas(topology);
      return finish('error');
    }
    if (scenario.steadyState.after && !failedFault) {
      phase('recovery');
      journal.steadyState.after = await awaitSteadyState(steady(topology), scenario.steadyState.timeout);
    }
    diagnosis.replicas = await diagnoseReplicas(topology);
    if (failedFault) {
      diagnosis.firstFailure = `fault ${failedFault.fault} on ${failedFault.target}: ${failedFault.error}`;
      return finish('error');
    }
    if (journal.rollback) {
      diagnosis.firstFailure = `rollback at ${(journal.rollback.atMs / 1000).toFixed(1)} s: ${journal.rollback.reason}; every fault was reverted then`;
      return finish('fail');
    }
    const firstFailed = journal.thresholds.find((t) => !t.pass);
    if (firstFailed) {
      diagnosis.firstFailure = `threshold ${firstFailed.name} failed: observed ${firstFailed.observed ?? 'never (the event did not happen)'}`;
      return finish('fail');
    }
    if (journal.steadyState.after && !journal.steadyState.after.ok) {
      diagnosis.firstFailure = `steady state after faults: the system did not recover: ${journal.steadyState.after.detail}`;
      return finish('fail');
    }
    return finish('pass');
  } catch (e) {
    if (interrupted()) return finishInterrupted();
    diagnosis.firstFailure = `${isInfrastructureError(e) ? 'infrastructure' : 'harness'} error: ${(e as Error).message}`;
    if (topology) diagnosis.replicas = await diagnoseReplicas(topology).catch(() => []);
    return finish('error');
  } finally {
    if (topology && opts.keep) {
      emit({ type: 'kept', drill: scenario.name, endpoints: await topology.endpoints() });
    } else if (topology && pool) {
      // Only a drill that passed leaves a topology known to be sound; the next drill still resets and checks it.
      await pool.release(topology, journal.verdict === 'pass' && !interrupted(), spec);
    } else if (topology) {
      phase('teardown');
      await topology[Symbol.asyncDispose]();
    }
  }

  function finishInterrupted(): Journal {
    journal.interrupted = true;
    diagnosis.firstFailure = 'interrupted before the drill finished; measurements cover the requests sent until then';
    return finish('error');
  }

  function finish(verdict: Verdict): Journal {
    journal.verdict = verdict;
    journal.diagnosis = diagnosis;
    journal.finishedAt = new Date().toISOString();
    journal.timing.totalMs = Math.round(performance.now() - started);
    return journal;
  }
}
