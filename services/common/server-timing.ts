// Server-Timing (W3C, https://www.w3.org/TR/server-timing/): how the reference gateway tells a client where a
// request's time went, and how the load generators read it.

/** The reference gateway's metrics: its whole hold of the request, and the attempt that answered. */
export const GATEWAY_TIMING = 'gateway';
export const UPSTREAM_TIMING = 'upstream';

/**
 * `gateway;dur=<ms>[, upstream;dur=<ms>]`: `gateway` from the request's arrival (its headers read) to its answer,
 * `upstream` from the answering attempt's dispatch to its last byte (absent when no attempt answered).
 */
export function gatewayServerTiming(gatewayMs: number, upstreamMs?: number): string {
  const gateway = `${GATEWAY_TIMING};dur=${gatewayMs.toFixed(2)}`;
  return upstreamMs === undefined ? gateway : `${gateway}, ${UPSTREAM_TIMING};dur=${upstreamMs.toFixed(2)}`;
}

/** One metric of a Server-Timing value: its name, and its `dur` parameter if it has one (quoted or not). */
const METRIC = /(?:^|,)\s*([^\s;,]+)((?:\s*;[^;,]*)*)/g;
const DUR = /;\s*dur\s*=\s*"?([^";,\s]+)/i;

/** The `dur` of each metric in a Server-Timing header value (metrics without one are left out). */
export function serverTimingDurations(header: string | readonly string[] | null | undefined): Record<string, number> {
  const value = Array.isArray(header) ? header.join(',') : ((header as string | null | undefined) ?? '');
  const durations: Record<string, number> = {};
  for (const [, name, params] of value.matchAll(METRIC)) {
    const dur = DUR.exec(params!)?.[1];
    const ms = dur === undefined ? NaN : Number(dur);
    if (Number.isFinite(ms)) durations[name!] = ms;
  }
  return durations;
}
