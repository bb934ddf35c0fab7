// The client side of the Open Inference Protocol for the two-tower model: a rank request as a v2 infer request
// (JSON tensors, or binary ones after the JSON part); its answers are read by oip-v2-response.ts.
import {
  FEATURE_DIM,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type RankRequest,
  V2_RANKING_OUTPUT,
  type V2InferRequest,
  type V2RequestInput,
} from '../common/contract';
import { type ModelIo, TWO_TOWER_IO } from '../model/manifest';
import { packRankRequest } from '../model/ranker';
import { frameBody, tensorBytes } from './oip-binary';

export { type DecodedResponse, decodeInferResponse } from './oip-v2-response';

export interface EncodeOptions {
  /** Inputs as raw bytes after the JSON part (default) or as JSON `data`. */
  binaryInputs?: boolean;
  /** Ask for the outputs as raw bytes (default) or as JSON. */
  binaryOutputs?: boolean;
  /** The model's input and output names; the two-tower model's by default. */
  io?: ModelIo;
  id?: string;
}

export interface EncodedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/** A rank request as a v2 infer request body and its headers. */
export function encodeInferRequest(req: RankRequest, opts: EncodeOptions = {}): EncodedRequest {
  const { binaryInputs = true, binaryOutputs = true, io = TWO_TOWER_IO } = opts;
  const packed = packRankRequest(req);
  const n = packed.candidates;
  const tensors = [
    { role: 'userId', datatype: 'INT64', shape: [1], values: packed.userId },
    { role: 'userFeatures', datatype: 'FP32', shape: [1, FEATURE_DIM], values: packed.userFeatures },
    { role: 'itemIds', datatype: 'INT64', shape: [n], values: packed.itemIds },
    { role: 'itemFeatures', datatype: 'FP32', shape: [n, FEATURE_DIM], values: packed.itemFeatures },
  ] as const;
  const binaries: Uint8Array[] = [];
  const inputs = tensors.flatMap(({ role, datatype, shape, values }): V2RequestInput[] => {
    const name = io.inputs[role];
    if (!name) return [];
    if (!binaryInputs) return [{ name, datatype, shape: [...shape], data: Array.from(values as ArrayLike<number | bigint>, Number) }];
    const bytes = tensorBytes(values);
    binaries.push(bytes);
    return [{ name, datatype, shape: [...shape], parameters: { binary_data_size: bytes.byteLength } }];
  });
  const request: V2InferRequest = {
    ...(opts.id === undefined ? {} : { id: opts.id }),
    inputs,
    outputs: [io.scores, V2_RANKING_OUTPUT].map((name) => ({ name, parameters: { binary_data: binaryOutputs } })),
  };
  const json = JSON.stringify(request);
  if (binaries.length === 0) return { body: Buffer.from(json), headers: { 'content-type': 'application/json' } };
  const { body, headerLength } = frameBody(json, binaries);
  return { body, headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength) } };
}
