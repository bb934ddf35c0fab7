// Model scale in containers: what a replica of the real topology (harness/topology, the same parts the drills
// start) pays as its model grows: restart-to-ready, hot-backup sync through Toxiproxy (download, verify, swap,
// as the standby itself times them), resident memory per replica and p50/p99 per request. One topology per
// size and standby precision, started, measured and removed before the next: at 1 GB a pair holds gigabytes.
//
// How a row is measured: the topology starts on the image's small model with hot backup on; the primary is
// given the next version of the fp32 model at the row's size (with its int8 variant beside it, for the
// `int8 variant` rows) and restarted, the standby syncs it through the sync proxy (an int8 standby downloads the
// published int8 variant, or, when there is none, the fp32 file, and quantizes it), then the standby is restarted
// and timed until it serves again, its memory read from Docker and its latency measured directly (no gateway, no proxy).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient } from 'testcontainers';
import { request } from 'undici';
import type { Precision } from '../services/common/contract';
import type { ModelLoad } from '../services/inference/model-manager';
import { type BuiltModel, DEFAULT_SEED } from '../services/model/build';
import { generateRequests } from '../services/model/requests';
import { sizedModel, sizedModels } from '../harness/run/sized-models';
import { prepare } from '../harness/prepare';
import { modelLoadBudgetMs } from '../harness/topology/model-budget';
import type { StartedReplicaContainer } from '../harness/topology/parts';
import { startTopology, type Topology } from '../harness/topology/topology';
import { percentile, slope } from './stats';

const SYNC_INTERVAL_MS = 200;
const RESTART_GRACE_MS = 1000;
const WARMUP = 50;
const SAMPLES = 1000;
const CANDIDATES = 100;
const MB = 2 ** 20;

/**
 * How a row's standby gets its model: fp32; int8 from the variant the primary publishes beside its fp32 model;
 * int8 from the fp32 model it quantizes itself (the primary publishes no variant).
 */
export const STANDBY_MODES = ['fp32', 'int8 variant', 'int8 quantized'] as const;
export type StandbyMode = (typeof STANDBY_MODES)[number];
const precisionOf = (mode: StandbyMode): Precision => (mode === 'fp32' ? 'fp32' : 'int8');

export interface ContainerRow {
  size: string;
  standby: StandbyMode;
  /** The fp32 file the primary serves and the standby downloads. */
  fp32Bytes: number;
  /** The file the standby serves (the int8 standby's own after quantizing). */
  servedBytes: number;
  restartToReadyS: number;
  /** The standby's own account of the load after its restart. */
  restartLoad: ModelLoad;
  /** The standby's own account of the sync: download, verify (sha256, quantize, session, probes), swap (+ persist). */
  syncLoad: ModelLoad;
  /** Container memory (cgroup rss: anonymous memory, no page cache) of the standby after its restart and the requests. */
  rssMb: number;
  /** The same right after the sync, before the restart: what adopting a model over the network leaves behind. */
  rssAfterSyncMb: number;
  /** The primary (fp32 at this size) after its restart. */
  primaryRssMb: number;
  p50Ms: number;
  p99Ms: number;
}

/** Resident memory of a container: cgroup v1 `rss` (v2 `anon`), anonymous memory without the page cache of the files read. */
async function containerRssMb(containerId: string): Promise<number> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const stats = await docker.getContainer(containerId).stats({ stream: false });
  const m = (stats.memory_stats as { stats?: Record<string, number> }).stats ?? {};
  const rss = m['total_rss'] ?? m['rss'] ?? m['anon'];
  if (rss === undefined) throw new Error(`Docker's memory stats of ${containerId.slice(0, 12)} have no rss or anon field (keys: ${Object.keys(m).join(', ')})`);
  return rss / MB;
}

async function modelLoads(replica: StartedReplicaContainer): Promise<ModelLoad[]> {
  if (!replica.modelLoads) throw new Error(`the ${replica.role} replica kind does not report its model loads`);
  return replica.modelLoads();
}

/** Polls until `accept` holds, or throws naming what was awaited and for how long. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Restarts the replica and returns the seconds until it serves `sha256` again. */
async function restartToReady(replica: StartedReplicaContainer, sha256: string, budgetMs: number): Promise<number> {
  const started = performance.now();
  await replica.restartGracefully(RESTART_GRACE_MS);
  await until(`${replica.role} to serve ${sha256.slice(0, 12)} after a restart`, budgetMs, () => replica.readiness(), (r) => r.sha256 === sha256);
  return (performance.now() - started) / 1000;
}

/** p50 and p99 of `/v1/rank` sent straight to the replica, one at a time. */
async function latency(replica: StartedReplicaContainer, model: BuiltModel): Promise<{ p50Ms: number; p99Ms: number }> {
  const url = `${await replica.directUrl()}/v1/rank`;
  const bodies = generateRequests({ seed: 11, count: 64, candidates: CANDIDATES, vocab: model.manifest.io.vocab }).map((r) => JSON.stringify(r));
  const wall: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t = performance.now();
    const res = await request(url, { method: 'POST', body: bodies[i % bodies.length], headers: { 'content-type': 'application/json' } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${replica.role} answered ${res.statusCode} to /v1/rank: ${text.slice(0, 200)}`);
    if (i >= WARMUP) wall.push(performance.now() - t);
  }
  return { p50Ms: percentile(wall, 50), p99Ms: percentile(wall, 99) };
}

export async function measureContainerRow(size: string, standby: StandbyMode): Promise<ContainerRow> {
  const precision = precisionOf(standby);
  const prepared = await prepare();
  const models = await sizedModels(size);
  const budgetMs = modelLoadBudgetMs(30_000, models.fp32.manifest.bytes);
  const topology = await startTopology({
    runId: `bench-model-scale-${size}-${precision}-${randomBytes(3).toString('hex')}`,
    images: prepared.images,
    toxiproxyImage: prepared.toxiproxyImage,
    gateway: { failover: true },
    standbyPrecision: precision,
    syncIntervalMs: SYNC_INTERVAL_MS,
  });
  try {
    return await measureOn(topology, size, standby, models, budgetMs);
  } finally {
    await topology[Symbol.asyncDispose]();
  }
}

async function measureOn(topology: Topology, size: string, mode: StandbyMode, models: Awaited<ReturnType<typeof sizedModels>>, budgetMs: number): Promise<ContainerRow> {
  const { primary, standby } = topology.replicas;
  const precision = precisionOf(mode);
  // The next version, so that the standby has something to sync at every size (the 8 MB model is the image's own).
  const rollout = models.next;
  await primary.replaceModel(mode === 'int8 variant' ? { ...rollout, int8: await sizedModel(size, { seed: DEFAULT_SEED + 1, precision: 'int8' }) } : rollout);
  await restartToReady(primary, rollout.manifest.sha256, budgetMs);
  // Until the synced model is on disk too (its load gains a 'persist' step): a restart before that (SIGKILLed
  // after the grace) found the old model in the directory and synced the new one again, which this row would have
  // counted as restart-to-ready; and the downloaded bytes are released only then.
  const synced = (loads: ModelLoad[]) => loads.find((l) => l.source === 'sync' && l.outcome === 'loaded' && l.steps.persist !== undefined);
  const syncLoad = synced(await until(`the ${precision} standby to sync the ${size} model and write it to disk`, 2 * budgetMs, () => modelLoads(standby), (loads) => synced(loads) !== undefined)) as ModelLoad;
  const rssAfterSyncMb = await containerRssMb(standby.containerId);
  const restartToReadyS = await restartToReady(standby, syncLoad.sha256 as string, budgetMs);
  const restartLoad = (await modelLoads(standby)).find((l) => l.source === 'startup') as ModelLoad;
  if (restartLoad.sha256 !== syncLoad.sha256) throw new Error(`the ${size} ${mode} standby started on ${restartLoad.version}, not on the model it synced (${syncLoad.version})`);
  const { p50Ms, p99Ms } = await latency(standby, rollout);
  return {
    size,
    standby: mode,
    fp32Bytes: rollout.manifest.bytes,
    servedBytes: (precision === 'fp32' ? models.fp32 : models.int8).manifest.bytes,
    restartToReadyS,
    restartLoad,
    syncLoad,
    rssMb: await containerRssMb(standby.containerId),
    rssAfterSyncMb,
    primaryRssMb: await containerRssMb(primary.containerId),
    p50Ms,
    p99Ms,
  };
}

const s = (ms: number | undefined): number => (ms ?? 0) / 1000;
/**
 * The sync's steps grouped as the issue names them: download, verify (checksum, quantize, session, probes), swap;
 * total is until the model served (their sum). The write to disk comes after, while it already serves.
 */
function syncPhases(load: ModelLoad): { downloadS: number; verifyS: number; swapS: number; totalS: number; writeS: number } {
  const st = load.steps;
  return { downloadS: s(st.download), verifyS: s(st.sha256) + s(st.quantize) + s(st.session) + s(st.probes), swapS: s(st.swap), totalS: load.totalMs / 1000, writeS: s(st.persist) };
}

const COLUMNS: readonly [string, (r: ContainerRow) => number, number][] = [
  ['restart->ready s', (r) => r.restartToReadyS, 2],
  ['session s', (r) => s(r.restartLoad.steps.session), 2],
  ['synced MB', (r) => (r.syncLoad.bytes ?? 0) / MB, 0],
  ['sync s', (r) => syncPhases(r.syncLoad).totalS, 2],
  ['download s', (r) => syncPhases(r.syncLoad).downloadS, 2],
  ['verify s', (r) => syncPhases(r.syncLoad).verifyS, 2],
  ['swap s', (r) => syncPhases(r.syncLoad).swapS, 2],
  ['then write s', (r) => syncPhases(r.syncLoad).writeS, 2],
  ['RSS MB', (r) => r.rssMb, 0],
  ['RSS after sync MB', (r) => r.rssAfterSyncMb, 0],
  ['primary RSS MB', (r) => r.primaryRssMb, 0],
  ['p50 ms', (r) => r.p50Ms, 3],
  ['p99 ms', (r) => r.p99Ms, 3],
];

/** The rows as a table, with one slope row per standby mode: per GB of the fp32 model. */
export function containerTable(rows: readonly ContainerRow[]): string[][] {
  const header = ['size', 'standby', 'fp32 MB', 'served MB', ...COLUMNS.map(([name]) => name)];
  const body = rows.map((r) => [r.size, r.standby, (r.fp32Bytes / MB).toFixed(0), (r.servedBytes / MB).toFixed(0), ...COLUMNS.map(([, pick, digits]) => pick(r).toFixed(digits))]);
  const slopes = STANDBY_MODES.flatMap((mode) => {
    const of = rows.filter((r) => r.standby === mode);
    if (of.length < 2) return [];
    return [[`per GB`, mode, '', '', ...COLUMNS.map(([, pick, digits]) => slope(of.map((r) => [r.fp32Bytes / 1e9, pick(r)])).toFixed(digits + 1))]];
  });
  return [header, ...body, ...slopes];
}
