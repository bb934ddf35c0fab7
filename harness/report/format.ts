// How every report writes a duration, so the page, the console, JUnit and the CI summary agree to the digit.

/** A figure that was not measured, or an event that did not happen, unless the caller names it ('never'). */
const ABSENT = '–';

/** "248.5 ms" */
export const ms = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${v.toFixed(1)} ms`);

/** "12.3 s" from milliseconds */
export const seconds = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${(v / 1000).toFixed(1)} s`);

/** "63.4%" */
export const percent = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${v.toFixed(1)}%`);

/** "1024.0 MB" from bytes (MiB, as model sizes are given) */
export const megabytes = (bytes: number | null | undefined, absent = ABSENT): string => (bytes === null || bytes === undefined ? absent : `${(bytes / 2 ** 20).toFixed(1)} MB`);

/** "sha256 5400.0 ms, session 16500.0 ms" from a recovery step's times, in the order they are taken */
export const stepTimes = (steps: Partial<Record<string, number>>): string =>
  Object.entries(steps).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${ms(v)}`).join(', ');

/** Failover with its upper bound when the fault was seen with a resolution: "0.0 ms (at most 21.5 ms)", or "never". */
export function failoverFigure(m: { failoverMs: number | null; failoverAtMostMs?: number | null }): string {
  const { failoverMs, failoverAtMostMs } = m;
  const atMost = failoverAtMostMs != null && failoverMs !== null && failoverAtMostMs - failoverMs >= 0.05 ? ` (at most ${ms(failoverAtMostMs)})` : '';
  return `${ms(failoverMs, 'never')}${atMost}`;
}

/** What a drill ran against, in one phrase: "gateway nginx, model server kserve, protocol oip-v2 (binary tensors)". */
export function deploymentPhrase(d: { gateway: string; replicas: string; protocol: string }): string {
  return `gateway ${d.gateway}, model server ${d.replicas}, protocol ${d.protocol}`;
}
