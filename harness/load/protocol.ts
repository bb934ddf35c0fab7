// The protocol the load speaks to the gateway (topology.protocol): our own /v1/rank JSON, or Open Inference
// Protocol v2 infer requests with binary tensors (the default) or JSON ones. Types only, and nothing that loads
// onnxruntime: the load generator's worker thread reads answers with it (encode-requests.ts writes requests).
import type { ModelIo } from '../../services/model/manifest';

/** How the load talks to the gateway and how the judge reads answers: data only, so it crosses to the worker thread. */
export type WireProtocol =
  | { name: 'v1' }
  | {
      name: 'oip-v2';
      encoding: 'binary' | 'json';
      /** The model the path names, /v2/models/{model}/infer. */
      model: string;
      /** The model's tensor names: its inputs, and the output that holds the scores. */
      io: ModelIo;
    };

export const V1_PROTOCOL: WireProtocol = { name: 'v1' };

/** One request as it goes on the wire. */
export interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The v2 protocol for a model: its name in the path, its tensors' names from its manifest's io. */
export function oipV2Protocol(encoding: 'binary' | 'json', model: { name: string; io: ModelIo }): WireProtocol {
  return { name: 'oip-v2', encoding, model: model.name, io: model.io };
}

/** /v1/rank requests with these JSON bodies. */
export function v1Requests(bodies: readonly string[]): WireRequest[] {
  return bodies.map((body) => ({ path: '/v1/rank', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) }));
}
