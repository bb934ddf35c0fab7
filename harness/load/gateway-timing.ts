import { GATEWAY_TIMING, REPLICA_TIMING, serverTimingDurations, UPSTREAM_TIMING } from '../../services/common/server-timing';
import type { RequestRecord } from '../measure/records';

/** A record's gatewayMs, upstreamMs and replicaMs from an answer's Server-Timing header; none when it has none. */
export function gatewayTimingOf(header: string | string[] | undefined): Pick<RequestRecord, 'gatewayMs' | 'upstreamMs' | 'replicaMs'> {
  if (header === undefined) return {};
  const { [GATEWAY_TIMING]: gatewayMs, [UPSTREAM_TIMING]: upstreamMs, [REPLICA_TIMING]: replicaMs } = serverTimingDurations(header);
  return {
    ...(gatewayMs === undefined ? {} : { gatewayMs }),
    ...(upstreamMs === undefined ? {} : { upstreamMs }),
    ...(replicaMs === undefined ? {} : { replicaMs }),
  };
}
