import { GATEWAY_TIMING, serverTimingDurations, UPSTREAM_TIMING } from '../../services/common/server-timing';
import type { RequestRecord } from '../measure/records';

/** A record's gatewayMs and upstreamMs from an answer's Server-Timing header; none when the gateway sent none. */
export function gatewayTimingOf(header: string | string[] | undefined): Pick<RequestRecord, 'gatewayMs' | 'upstreamMs'> {
  if (header === undefined) return {};
  const { [GATEWAY_TIMING]: gatewayMs, [UPSTREAM_TIMING]: upstreamMs } = serverTimingDurations(header);
  return { ...(gatewayMs === undefined ? {} : { gatewayMs }), ...(upstreamMs === undefined ? {} : { upstreamMs }) };
}
