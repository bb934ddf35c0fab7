// Server-Timing (W3C, https://www.w3.org/TR/server-timing/): how the reference gateway tells a client where a
// request's time went, and how the load generators read it.

/** The reference gateway's metrics: its whole hold of the request, and the attempt that answered. */
export const GATEWAY_TIMING = 'gateway';
export const UPSTREAM_TIMING = 'upstream';
/** The reference model server's: from a rank or infer request's arrival to its answer's head. */
export const REPLICA_TIMING = 'replica';

const metric = (name: string, ms: number): string => `${name};dur=${ms.toFixed(2)}`;

/** `replica;dur=<ms>`: the model server's time on a rank or infer request, from its headers read to its answer. */
export const replicaServerTiming = (replicaMs: number): string => metric(REPLICA_TIMING, replicaMs);

/**
 * `gateway;dur=<ms>[, upstream;dur=<ms>[, replica;dur=<ms>]]`: `gateway` from the request's arrival (its headers
 * read) to its answer; `upstream` from the answering attempt's dispatch to its last byte (absent when no attempt
 * answered); `replica` what that replica said of its own time, when it said (the reference model server does).
 */
export function gatewayServerTiming(gatewayMs: number, upstreamMs?: number, replicaMs?: number): string {
  const parts = [metric(GATEWAY_TIMING, gatewayMs)];
  if (upstreamMs !== undefined) parts.push(metric(UPSTREAM_TIMING, upstreamMs));
  if (upstreamMs !== undefined && replicaMs !== undefined) parts.push(metric(REPLICA_TIMING, replicaMs));
  return parts.join(', ');
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
