// Consistency: the primary and the standby, called directly (no gateway, no proxy) on the same requests.
// An fp32 standby must agree within float noise; an int8 standby's disagreement is the price of quantization.
import { request } from 'undici';
import type { ModelIdentity, RankResponse } from '../../services/common/contract';
import { agreement, type Agreement } from '../../services/model/compare';
import type { Topology } from '../topology/topology';

export interface Consistency extends Agreement {
  primary: ModelIdentity;
  standby: ModelIdentity;
}

async function rank(url: string, body: string): Promise<RankResponse> {
  const res = await request(`${url}/v1/rank`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${url}/v1/rank answered ${res.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as RankResponse;
}

export async function measureConsistency(topology: Topology, bodies: readonly string[]): Promise<Consistency> {
  const [primaryUrl, standbyUrl] = await Promise.all([topology.replicas.primary.directUrl(), topology.replicas.standby.directUrl()]);
  const pairs: [number[], number[]][] = [];
  let identities: [ModelIdentity, ModelIdentity] | undefined;
  for (const body of bodies) {
    const [p, s] = await Promise.all([rank(primaryUrl, body), rank(standbyUrl, body)]);
    identities ??= [p.model, s.model];
    pairs.push([p.scores, s.scores]);
  }
  const [primary, standby] = identities as [ModelIdentity, ModelIdentity];
  return { primary, standby, ...agreement(pairs) };
}
