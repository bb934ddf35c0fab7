import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { Link } from '../topology/topology';

export interface ProbeResult {
  /** The proxy answered with an HTTP response. */
  answered: boolean;
  elapsedMs: number;
  error?: string;
}

/** GET /healthz through the target's Toxiproxy proxy from the host: what the gateway's path experiences. */
export async function probeThroughProxy(target: Link, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await request(`http://${target.proxy.host}:${target.proxy.port}/healthz`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { connection: 'close' },
    });
    await res.body.text();
    return { answered: true, elapsedMs: performance.now() - started };
  } catch (e) {
    const error = (e as Error).name === 'TimeoutError' ? 'timeout' : ((e as { code?: string }).code ?? (e as Error).message);
    return { answered: false, elapsedMs: performance.now() - started, error };
  }
}
