// Consistency: the primary and the standby, called directly (no gateway, no proxy) on the same requests, in the
// drill's protocol (a third-party OIP v2 server has no /v1/rank). An fp32 standby must agree within float noise;
// an int8 standby's disagreement is the price of quantization.
import { request } from 'undici';
import { INFERENCE_HEADER_CONTENT_LENGTH, type ModelIdentity, type Precision, type RankResponse, V2_PRECISION_PARAMETER, V2_SHA256_PARAMETER } from '../../services/common/contract';
import { decodeInferResponse } from '../../services/inference/oip-v2-client';
import { agreement, type Agreement } from '../../services/model/compare';
import type { WireProtocol, WireRequest } from '../load/protocol';
import type { Topology } from '../topology/topology';

export interface Consistency extends Agreement {
  primary: ModelIdentity;
  standby: ModelIdentity;
}

interface Answer {
  scores: number[];
  model: ModelIdentity;
}

/** The scores and the model a v2 answer names (version, and the sha256 and precision in its parameters). */
function v2Answer(body: Buffer, headerLength: string | undefined, protocol: Extract<WireProtocol, { name: 'oip-v2' }>): Answer {
  const { response, outputs } = decodeInferResponse(body, headerLength);
  const parameter = (name: string): string => String(response.parameters?.[name] ?? '');
  return {
    scores: Array.from(outputs[protocol.io.scores] ?? []),
    model: { version: response.model_version ?? '', sha256: parameter(V2_SHA256_PARAMETER), precision: parameter(V2_PRECISION_PARAMETER) as Precision },
  };
}

async function ask(url: string, { path, headers, body }: WireRequest, protocol: WireProtocol): Promise<Answer> {
  const res = await request(`${url}${path}`, { method: 'POST', body, headers });
  const text = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`${url}${path} answered ${res.statusCode}: ${text.toString('utf8', 0, 200)}`);
  if (protocol.name === 'v1') {
    const { scores, model } = JSON.parse(text.toString('utf8')) as RankResponse;
    return { scores, model };
  }
  const length = res.headers[INFERENCE_HEADER_CONTENT_LENGTH];
  return v2Answer(text, typeof length === 'string' ? length : undefined, protocol);
}

export async function measureConsistency(topology: Topology, requests: readonly WireRequest[], protocol: WireProtocol): Promise<Consistency> {
  const [primaryUrl, standbyUrl] = await Promise.all([topology.replicas.primary.directUrl(), topology.replicas.standby.directUrl()]);
  const pairs: [number[], number[]][] = [];
  let identities: [ModelIdentity, ModelIdentity] | undefined;
  for (const req of requests) {
    const [p, s] = await Promise.all([ask(primaryUrl, req, protocol), ask(standbyUrl, req, protocol)]);
    identities ??= [p.model, s.model];
    pairs.push([p.scores, s.scores]);
  }
  const [primary, standby] = identities as [ModelIdentity, ModelIdentity];
  return { primary, standby, ...agreement(pairs) };
}
