/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuiltModel, buildModel, writeModelDir } from '../model/build';
import { INT8_VARIANT_DIR, type Manifest } from '../model/manifest';
import { generateRequests } from '../model/requests';
import { type InferenceServer, startInferenceServer } from './server';
import { flipMiddleByte, truncate, withNaNWeight, writeRawModelDir } from './test-models';

const [rankRequest] = generateRequests({ seed: 4, count: 1, candidates: 30 });
const INTERVAL_MS = 40;

let root: string;
let dirs = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inference-sync-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Writes the int8 variant of the seed's fp32 model into `dir`'s int8/ (what `drill model build --precision int8` makes), as `damage` leaves it. */
async function writeInt8Variant(dir: string, seed: number, damage: (variant: BuiltModel) => BuiltModel = (v) => v): Promise<Manifest> {
  const variant = damage(buildModel({ seed, precision: 'int8' }));
  await mkdir(join(dir, INT8_VARIANT_DIR), { recursive: true });
  await writeRawModelDir(join(dir, INT8_VARIANT_DIR), variant.onnx, variant.manifest);
  return variant.manifest;
}

async function replica(opts: { seed: number; syncFrom?: string; adminToken?: string; precision?: 'int8'; int8Variant?: (variant: BuiltModel) => BuiltModel }): Promise<{ server: InferenceServer; manifest: Manifest; dir: string }> {
  const dir = join(root, `replica-${dirs++}`);
  await mkdir(dir);
  const manifest = await writeModelDir(dir, { seed: opts.seed, ...(opts.precision ? { precision: opts.precision } : {}) });
  if (opts.int8Variant) await writeInt8Variant(dir, opts.seed, opts.int8Variant);
  const server = await startInferenceServer({
    modelDir: dir,
    port: 0,
    host: '127.0.0.1',
    role: opts.syncFrom ? 'standby' : 'primary',
    name: opts.syncFrom ? 'standby' : 'primary',
    log: () => undefined,
    ...(opts.syncFrom ? { syncFrom: opts.syncFrom, syncIntervalMs: INTERVAL_MS } : {}),
    ...(opts.adminToken ? { adminToken: opts.adminToken } : {}),
  });
  return { server, manifest, dir };
}

/** A primary that announces `manifest` and serves whatever bytes it is given: the network or disk damaged them. */
async function fakePrimary(manifest: Manifest, weights: { bytes: Uint8Array; breakAfter?: number }): Promise<{ url: string; server: Server; set(next: { manifest: Manifest; bytes: Uint8Array; breakAfter?: number }): void }> {
  let current = { manifest, ...weights };
  const server = createServer((req, res) => {
    if (req.url === '/v1/model') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ready: true, model: { sha256: current.manifest.sha256 }, manifest: current.manifest }));
    } else if (req.url === '/v1/model/weights') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': current.breakAfter ? current.manifest.bytes : current.bytes.byteLength });
      if (current.breakAfter === undefined) return void res.end(current.bytes);
      res.write(current.bytes.subarray(0, current.breakAfter), () => res.destroy());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    set: (next) => {
      current = next;
    },
  };
}

async function modelOf(server: InferenceServer): Promise<any> {
  return (await fetch(`${server.url}/v1/model`)).json();
}

async function until<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A connection reset is transient: an int8 standby quantizing a model blocks its event loop for a moment,
    // and on a busy machine long enough for its keep-alive timeout to close the connection a poll reuses.
    const value = await probe().catch((e: Error) => e);
    if (!(value instanceof Error) && accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${value instanceof Error ? value.message : JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rank(server: InferenceServer) {
  const res = await fetch(`${server.url}/v1/rank`, { method: 'POST', body: JSON.stringify(rankRequest), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as any };
}

describe('hot-backup sync', () => {
  it("adopts the primary's model, follows its reloads, and fails no request while swapping", async () => {
    const primary = await replica({ seed: 7, adminToken: 't' });
    const standby = await replica({ seed: 42, syncFrom: primary.server.url, adminToken: 't' });
    let failures = 0;
    let running = true;
    const load = (async () => {
      while (running) if ((await rank(standby.server)).status !== 200) failures++;
    })();
    try {
      const synced = await until('the standby to sync', () => modelOf(standby.server), (m) => m.model.sha256 === primary.manifest.sha256 && m.sync.inSync);
      expect(synced.sync).toMatchObject({ from: primary.server.url, lagMs: 0, lastError: null, primary: { sha256: primary.manifest.sha256 } });
      const fromPrimary = await rank(primary.server);
      expect((await rank(standby.server)).json).toMatchObject({ scores: fromPrimary.json.scores, model: fromPrimary.json.model });

      const next = await writeModelDir(primary.dir, { seed: 8 });
      await primary.server.reload();
      await until('the standby to follow the reload', () => modelOf(standby.server), (m) => m.model.sha256 === next.sha256);
      // Written into the standby's model directory: its own reload keeps the synced model.
      const reloaded = await fetch(`${standby.server.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer t' } });
      expect(await reloaded.json()).toMatchObject({ outcome: 'loaded', model: { sha256: next.sha256 } });
      const metrics = await (await fetch(`${standby.server.url}/metrics`)).text();
      expect(metrics).toContain('inference_model_changes_total{source="sync",outcome="loaded"} 2');
      expect(metrics).toContain('inference_model_sync_lag_seconds 0');
    } finally {
      running = false;
      await load;
      await standby.server.close();
      await primary.server.close();
    }
    expect(failures).toBe(0);
  });

  const good = buildModel({ seed: 7 });
  const nan = withNaNWeight(good);
  const damaged: [string, string, BuiltModel & { breakAfter?: number }, RegExp][] = [
    ['flipped bytes in the middle of a tensor', 'weights_checksum_mismatch', { ...good, onnx: flipMiddleByte(good.onnx) }, /^sha256 of .* is [0-9a-f]{64} but the manifest says/],
    ['a truncated file', 'weights_checksum_mismatch', { ...good, onnx: truncate(good.onnx) }, new RegExp(`\\(${good.onnx.byteLength >> 1} bytes where the manifest says ${good.manifest.bytes}\\)`)],
    ['a download cut off halfway', 'download_failed', { ...good, breakAfter: good.onnx.byteLength >> 1 }, /broke off after \d+ bytes/],
    ['a download longer than the manifest announces', 'download_failed', { ...good, onnx: Buffer.concat([good.onnx, Buffer.alloc(1 << 20)]) }, new RegExp(`sent more than the ${good.manifest.bytes} bytes`)],
    ['a NaN in a weight, under a matching checksum', 'model_probe_failed', nan, /fails its probe set: probe 0 candidate 0 scored NaN/],
  ];

  it.each(damaged)('refuses %s, keeps serving its model, and adopts the good one on a later poll', async (_what, code, bad, detail) => {
    const primary = await fakePrimary(bad.manifest, { bytes: bad.onnx, ...(bad.breakAfter === undefined ? {} : { breakAfter: bad.breakAfter }) });
    const standby = await replica({ seed: 42, syncFrom: primary.url });
    try {
      const refused = await until('a refusal', () => modelOf(standby.server), (m) => m.sync.lastError !== null && m.sync.consecutiveFailures >= 2);
      expect(refused).toMatchObject({ ready: true, model: { sha256: standby.manifest.sha256 }, sync: { inSync: false, lastError: { code } } });
      expect(refused.sync.lagMs).toBeGreaterThan(0);
      expect(refused.sync.lastError.message).toMatch(detail);
      if (code !== 'download_failed') expect(refused.rejected).toMatchObject({ source: 'sync', sha256: bad.manifest.sha256, reason: { code } });
      expect(await rank(standby.server)).toMatchObject({ status: 200, json: { model: { sha256: standby.manifest.sha256 } } });
      expect(await (await fetch(`${standby.server.url}/metrics`)).text()).toMatch(new RegExp(`inference_model_changes_total\\{source="sync",outcome="${code}"\\} [1-9]`));

      primary.set({ manifest: good.manifest, bytes: good.onnx });
      const synced = await until('the retry to succeed', () => modelOf(standby.server), (m) => m.sync.inSync);
      expect(synced).toMatchObject({ model: { sha256: good.manifest.sha256 }, sync: { lagMs: 0, consecutiveFailures: 0 } });
      expect(await rank(standby.server)).toMatchObject({ status: 200, json: { model: { sha256: good.manifest.sha256 } } });
    } finally {
      await standby.server.close();
      primary.server.closeAllConnections();
      primary.server.close();
    }
  });

  it("on an int8 standby, serves the int8 variant of the primary's fp32 model and refuses a NaN weight", async () => {
    const primary = await replica({ seed: 7 });
    const standby = await replica({ seed: 42, syncFrom: primary.server.url, precision: 'int8' });
    const expected = buildModel({ seed: 7, precision: 'int8' }).manifest;
    try {
      // Quantizing 7.7 MB and loading the result takes longer than a plain sync, the more so on a busy machine.
      const synced = await until('the int8 standby to sync', () => modelOf(standby.server), (m) => m.sync.inSync, 60_000);
      expect(synced).toMatchObject({
        model: { version: expected.version, sha256: expected.sha256, precision: 'int8' },
        manifest: { sourceSha256: primary.manifest.sha256 },
        sync: { lagMs: 0, primary: { sha256: primary.manifest.sha256 } },
      });
      expect(await rank(standby.server)).toMatchObject({ status: 200, json: { model: { sha256: expected.sha256, precision: 'int8' } } });
      // The sync's load, step by step: the fp32 download, its checks, the quantization, the int8 session, the swap.
      const load = synced.loads.find((l: { source: string }) => l.source === 'sync');
      expect(load).toMatchObject({ outcome: 'loaded', sha256: expected.sha256, bytes: primary.manifest.bytes });
      // Recorded once it serves; the write to disk ('persist') joins the steps when it is done.
      expect(Object.keys(load.steps)).toEqual(expect.arrayContaining(['download', 'sha256', 'quantize', 'session', 'probes', 'swap']));
      expect(Object.keys(load.steps).filter((k) => !['download', 'sha256', 'quantize', 'session', 'probes', 'swap', 'persist'].includes(k))).toEqual([]);
    } finally {
      await standby.server.close();
      await primary.server.close();
    }

    const poisoned = await fakePrimary(nan.manifest, { bytes: nan.onnx });
    const refusing = await replica({ seed: 42, syncFrom: poisoned.url, precision: 'int8' });
    try {
      const refused = await until('a refusal', () => modelOf(refusing.server), (m) => m.sync.lastError !== null, 60_000);
      expect(refused).toMatchObject({ model: { sha256: refusing.manifest.sha256 }, sync: { inSync: false, lastError: { code: 'model_probe_failed' } } });
    } finally {
      await refusing.server.close();
      poisoned.server.closeAllConnections();
      poisoned.server.close();
    }
  });

  it('on an int8 standby, syncs the int8 variant the primary publishes: a quarter of the bytes, nothing to quantize', async () => {
    const primary = await replica({ seed: 7, adminToken: 't', int8Variant: (v) => v });
    const standby = await replica({ seed: 42, syncFrom: primary.server.url, precision: 'int8' });
    const expected = buildModel({ seed: 7, precision: 'int8' }).manifest;
    try {
      const published = await modelOf(primary.server);
      expect(published).toMatchObject({ model: { sha256: primary.manifest.sha256 }, variants: { int8: { sha256: expected.sha256, sourceSha256: primary.manifest.sha256 } } });
      expect(published.loads[0].steps.variant).toBeGreaterThanOrEqual(0);
      const synced = await until('the int8 standby to sync', () => modelOf(standby.server), (m) => m.sync.inSync, 60_000);
      expect(synced).toMatchObject({ model: { sha256: expected.sha256, precision: 'int8' }, manifest: { sourceSha256: primary.manifest.sha256 } });
      const load = synced.loads.find((l: { source: string }) => l.source === 'sync');
      expect(load).toMatchObject({ outcome: 'loaded', sha256: expected.sha256, bytes: expected.bytes });
      expect(load.steps.quantize).toBeUndefined();
      expect(await rank(standby.server)).toMatchObject({ status: 200, json: { model: { sha256: expected.sha256, precision: 'int8' } } });

      // A rollout with its variant: the standby follows it the same way.
      const next = await writeModelDir(primary.dir, { seed: 8 });
      const nextInt8 = await writeInt8Variant(primary.dir, 8);
      await primary.server.reload();
      const followed = await until('the standby to follow the reload', () => modelOf(standby.server), (m) => m.model.sha256 === nextInt8.sha256 && m.sync.inSync, 60_000);
      expect(followed.sync.primary.sha256).toBe(next.sha256);
      expect(followed.loads.filter((l: { source: string; steps: { quantize?: number } }) => l.source === 'sync' && l.steps.quantize !== undefined)).toEqual([]);
    } finally {
      await standby.server.close();
      await primary.server.close();
    }
  });

  const variantProblems: [string, (v: BuiltModel) => BuiltModel, RegExp][] = [
    ['a variant whose bytes fail its checksum', (v) => ({ ...v, onnx: flipMiddleByte(v.onnx) }), /^sha256 of .*int8\/model\.onnx is [0-9a-f]{64} but its manifest says/],
    ['the variant of another model', () => buildModel({ seed: 9, precision: 'int8' }), /holds int8 two-tower-s9-.*, not the int8 variant of the served two-tower-s7-/],
  ];

  it.each(variantProblems)('a primary does not publish %s, and an int8 standby quantizes the fp32 model instead', async (_what, damage, problem) => {
    const primary = await replica({ seed: 7, int8Variant: damage });
    const standby = await replica({ seed: 42, syncFrom: primary.server.url, precision: 'int8' });
    const expected = buildModel({ seed: 7, precision: 'int8' }).manifest;
    try {
      const published = await modelOf(primary.server);
      expect(published.variants).toEqual({ int8: null });
      expect(published.variantProblem).toMatch(problem);
      const res = await fetch(`${primary.server.url}/v1/model/int8/weights`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('no_int8_variant');
      const synced = await until('the int8 standby to sync', () => modelOf(standby.server), (m) => m.sync.inSync, 60_000);
      expect(synced.model.sha256).toBe(expected.sha256);
      expect(synced.loads.find((l: { source: string }) => l.source === 'sync')).toMatchObject({ bytes: primary.manifest.bytes, steps: { quantize: expect.any(Number) } });
    } finally {
      await standby.server.close();
      await primary.server.close();
    }
  });

  it('an int8 standby refuses a published variant that fails its probe set, and syncs by quantizing the fp32 model', async () => {
    // Probes that expect other scores, under a manifest whose checksum still matches the file: the primary
    // (which checks only the checksum of what it publishes) publishes it; the standby's own checks refuse it.
    const wrongProbes = (v: BuiltModel): BuiltModel => ({ ...v, manifest: { ...v.manifest, probes: v.manifest.probes!.map((p) => ({ ...p, scores: p.scores.map((x) => x + 1) })) } });
    const logged: string[] = [];
    const primary = await replica({ seed: 7, int8Variant: wrongProbes });
    const dir = join(root, `replica-${dirs++}`);
    await mkdir(dir);
    await writeModelDir(dir, { seed: 42, precision: 'int8' });
    const standby = await startInferenceServer({ modelDir: dir, port: 0, host: '127.0.0.1', role: 'standby', name: 'standby', log: (msg) => void logged.push(msg), syncFrom: primary.server.url, syncIntervalMs: INTERVAL_MS });
    const expected = buildModel({ seed: 7, precision: 'int8' }).manifest;
    try {
      expect((await modelOf(primary.server)).variants.int8.sha256).toBe(expected.sha256);
      const synced = await until('the int8 standby to sync', () => modelOf(standby), (m) => m.sync.inSync, 60_000);
      expect(synced.model.sha256).toBe(expected.sha256);
      const syncLoads = synced.loads.filter((l: { source: string }) => l.source === 'sync');
      expect(syncLoads.map((l: { outcome: string; bytes: number }) => [l.outcome, l.bytes])).toEqual([['model_probe_failed', expected.bytes], ['loaded', primary.manifest.bytes]]);
      expect(logged).toContainEqual(expect.stringMatching(/int8 variant .* was refused \(model_probe_failed\); syncing its fp32 model and quantizing it instead/));
    } finally {
      await standby.close();
      await primary.server.close();
    }
  });

  it('reports a primary that is unreachable or not ready without losing readiness', async () => {
    const unready = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":false,"model":null}'));
    await new Promise<void>((resolve) => unready.listen(0, '127.0.0.1', resolve));
    const cases = [
      ['http://127.0.0.1:9', 'primary_unreachable', null],
      [`http://127.0.0.1:${(unready.address() as AddressInfo).port}`, 'primary_not_ready', 0],
    ] as const;
    try {
      for (const [from, code, lagMs] of cases) {
        const standby = await replica({ seed: 42, syncFrom: from });
        try {
          const status = await until(code, () => modelOf(standby.server), (m) => m.sync.lastError !== null);
          expect(status).toMatchObject({ ready: true, sync: { inSync: false, lagMs, lastError: { code } } });
          expect((await fetch(`${standby.server.url}/readyz`)).status).toBe(200);
        } finally {
          await standby.server.close();
        }
      }
    } finally {
      unready.close();
    }
  });
});

describe('GET /v1/model/weights', () => {
  it('streams the verified bytes with their sha256', async () => {
    const primary = await replica({ seed: 5 });
    try {
      const res = await fetch(`${primary.server.url}/v1/model/weights`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-model-sha256')).toBe(primary.manifest.sha256);
      expect(Number(res.headers.get('content-length'))).toBe(primary.manifest.bytes);
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(buildModel({ seed: 5 }).onnx))).toBe(true);
    } finally {
      await primary.server.close();
    }
  });
});
