// The request set encoded once, before the load, in the scenario's protocol. The v2 encoding is the reference
// server's own client (oip-v2-client.ts), so the load, the tests and the benchmark send the same bytes.
import type { RankRequest } from '../../services/common/contract';
import { encodeInferRequest } from '../../services/inference/oip-v2-client';
import { v1Requests, type WireProtocol, type WireRequest } from './protocol';

/** The request set in the protocol; request i of the load sends requests[i % length]. */
export function encodeRequests(requests: readonly RankRequest[], protocol: WireProtocol): WireRequest[] {
  if (protocol.name === 'v1') return v1Requests(requests.map((r) => JSON.stringify(r)));
  const binary = protocol.encoding === 'binary';
  const path = `/v2/models/${encodeURIComponent(protocol.model)}/infer`;
  return requests.map((r) => ({ path, ...encodeInferRequest(r, { binaryInputs: binary, binaryOutputs: binary, io: protocol.io }) }));
}
