/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, writeModelDir } from '../model/build';
import type { Manifest } from '../model/manifest';
import { generateRequests } from '../model/requests';
import type { BadReloadPolicy } from './model-manager';
import { type InferenceServer, startInferenceServer } from './server';
import { flipMiddleByte, withNaNWeight, writeRawModelDir } from './test-models';

const TOKEN = 's3cret-token';
const [rankRequest] = generateRequests({ seed: 3, count: 1, candidates: 50 });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inference-reload-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function serverOn(name: string, opts: { policy?: BadReloadPolicy; adminToken?: string } = {}) {
  const dir = join(root, name);
  await mkdir(dir);
  const manifest = await writeModelDir(dir);
  const server = await startInferenceServer({
    modelDir: dir,
    port: 0,
    host: '127.0.0.1',
    role: 'primary',
    name,
    log: () => undefined,
    ...(opts.policy ? { onBadReload: opts.policy } : {}),
    ...(opts.adminToken ? { adminToken: opts.adminToken } : {}),
  });
  return { dir, manifest, server };
}

async function call(server: InferenceServer, method: string, path: string, init: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }), 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

const reload = (server: InferenceServer, token = TOKEN) => call(server, 'POST', '/admin/reload', { token });

describe('POST /admin/reload', () => {
  it('does not exist without an admin token', async () => {
    const { server } = await serverOn('no-token');
    try {
      expect(await reload(server, 'anything')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    } finally {
      await server.close();
    }
  });

  it('answers 401 without the token or with a wrong one, and reloads with the right one', async () => {
    const { server, dir } = await serverOn('auth', { adminToken: TOKEN });
    try {
      const missing = await call(server, 'POST', '/admin/reload');
      expect(missing).toMatchObject({ status: 401, json: { error: { code: 'unauthorized' } } });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect(await reload(server, 'wrong')).toMatchObject({ status: 401 });
      expect(await reload(server, `${TOKEN}x`)).toMatchObject({ status: 401 });
      expect(await reload(server, TOKEN.slice(0, -1))).toMatchObject({ status: 401 });

      const next = await writeModelDir(dir, { seed: 8 });
      const ok = await reload(server);
      expect(ok).toMatchObject({ status: 200, json: { outcome: 'loaded', model: { version: next.version, sha256: next.sha256 } } });
      expect((await call(server, 'POST', '/v1/rank', { body: rankRequest })).json.model.sha256).toBe(next.sha256);

      // Each load with the time of its steps: the startup's and the reload's, in order.
      const { loads } = (await call(server, 'GET', '/v1/model')).json as { loads: { source: string; outcome: string; sha256: string; totalMs: number; steps: Record<string, number> }[] };
      expect(loads.map((l) => [l.source, l.outcome, l.sha256])).toEqual([['startup', 'loaded', expect.any(String)], ['reload', 'loaded', next.sha256]]);
      for (const l of loads) {
        expect(Object.keys(l.steps)).toEqual(['read', 'sha256', 'session', 'probes', 'swap']);
        const sum = Object.values(l.steps).reduce((a, b) => a + b, 0);
        expect(l.totalMs).toBeGreaterThanOrEqual(Math.floor(sum) - 1);
      }
    } finally {
      await server.close();
    }
  });
});

describe.each([
  ['flipped bytes', 'weights_checksum_mismatch', (m: Manifest) => ({ bytes: flipMiddleByte(buildModel({ seed: 9 }).onnx), manifest: { ...m, version: 'flipped' } })],
  ['a NaN weight', 'model_probe_failed', () => {
    const nan = withNaNWeight(buildModel({ seed: 9 }));
    return { bytes: nan.onnx, manifest: { ...nan.manifest, version: 'nan' } };
  }],
])('reload of %s', (_what, code, corrupt) => {
  it('keep-last-good: refuses them, keeps serving the last good model, and shows the rejection', async () => {
    const { server, dir, manifest } = await serverOn(`keep-${code}`, { adminToken: TOKEN });
    try {
      const bad = corrupt(buildModel({ seed: 9 }).manifest);
      await writeRawModelDir(dir, bad.bytes, bad.manifest);
      const refused = await reload(server);
      expect(refused).toMatchObject({ status: 422, json: { error: { code } } });
      expect(refused.json.error.message).toContain(`still serving ${manifest.version} (on bad reload: keep-last-good)`);
      const refusedLoad = (await call(server, 'GET', '/v1/model')).json.loads.at(-1);
      expect(refusedLoad).toMatchObject({ source: 'reload', outcome: code, version: bad.manifest.version });
      expect(Object.keys(refusedLoad.steps)).toEqual(code === 'weights_checksum_mismatch' ? ['read', 'sha256'] : ['read', 'sha256', 'session', 'probes']);

      expect(await call(server, 'GET', '/readyz')).toMatchObject({ status: 200, json: { model: { sha256: manifest.sha256 } } });
      expect(await call(server, 'POST', '/v1/rank', { body: rankRequest })).toMatchObject({ status: 200, json: { model: { sha256: manifest.sha256 } } });
      const model = await call(server, 'GET', '/v1/model');
      expect(model.json).toMatchObject({
        ready: true,
        model: { version: manifest.version, sha256: manifest.sha256 },
        onBadReload: 'keep-last-good',
        rejected: { source: 'reload', version: bad.manifest.version, sha256: bad.manifest.sha256, reason: { code } },
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(`inference_model_changes_total{source="reload",outcome="${code}"} 1`);
      expect(metrics).toContain(`inference_model_info{version="${manifest.version}",sha256="${manifest.sha256}",precision="fp32"} 1`);
    } finally {
      await server.close();
    }
  });

  it('fail-closed: refuses them and stops serving until a good model is reloaded', async () => {
    const { server, dir } = await serverOn(`closed-${code}`, { adminToken: TOKEN, policy: 'fail-closed' });
    try {
      const bad = corrupt(buildModel({ seed: 9 }).manifest);
      await writeRawModelDir(dir, bad.bytes, bad.manifest);
      const refused = await reload(server);
      expect(refused).toMatchObject({ status: 422, json: { error: { code } } });
      expect(refused.json.error.message).toContain('serving nothing (on bad reload: fail-closed)');
      expect(await call(server, 'GET', '/readyz')).toMatchObject({ status: 503, json: { error: { code } } });
      expect(await call(server, 'POST', '/v1/rank', { body: rankRequest })).toMatchObject({ status: 503, json: { error: { code } } });
      expect((await call(server, 'GET', '/v1/model')).json).toMatchObject({ ready: false, reason: { code }, rejected: { reason: { code } } });
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('inference_model_ready 0');

      const good = await writeModelDir(dir, { seed: 10 });
      expect(await reload(server)).toMatchObject({ status: 200, json: { outcome: 'loaded' } });
      expect(await call(server, 'POST', '/v1/rank', { body: rankRequest })).toMatchObject({ status: 200, json: { model: { sha256: good.sha256 } } });
    } finally {
      await server.close();
    }
  });
});

it('swaps models under load without failing a request, each answer naming the model that computed it', async () => {
  const { server, dir, manifest } = await serverOn('swap', { adminToken: TOKEN });
  const seen = new Map<string, number>();
  let failures = 0;
  let running = true;
  const client = async () => {
    while (running) {
      const res = await call(server, 'POST', '/v1/rank', { body: rankRequest });
      if (res.status === 200) seen.set(res.json.model.sha256, (seen.get(res.json.model.sha256) ?? 0) + 1);
      else failures++;
    }
  };
  try {
    const clients = [client(), client(), client(), client()];
    const versions = [manifest];
    for (const seed of [11, 12, 13]) {
      versions.push(await writeModelDir(dir, { seed }));
      expect((await reload(server)).status).toBe(200);
    }
    running = false;
    await Promise.all(clients);
    expect(failures).toBe(0);
    expect(seen.size).toBeGreaterThan(1);
    expect(seen.get(versions.at(-1)!.sha256)).toBeGreaterThan(0);
    expect([...seen.keys()].every((sha) => versions.some((v) => v.sha256 === sha))).toBe(true);
  } finally {
    running = false;
    await server.close();
  }
});
