// The client side of the Open Inference Protocol for the two-tower model: a rank request as a v2 infer request
// (JSON tensors, or binary ones after the JSON part), and a v2 answer's scores and ranking, JSON or binary.
import {
  FEATURE_DIM,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type RankRequest,
  V2_RANKING_OUTPUT,
  type V2InferRequest,
  type V2InferResponse,
  type V2RequestInput,
} from '../common/contract';
import { type ModelIo, TWO_TOWER_IO } from '../model/manifest';
import { packRankRequest } from '../model/ranker';
import { frameBody, readTensorBytes, tensorBytes } from './oip-binary';

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

export interface DecodedResponse {
  response: V2InferResponse;
  /** Each output's values, by name, whether it came as JSON or as bytes. */
  outputs: Record<string, Float32Array | Int32Array | number[]>;
}

/** A v2 infer answer's JSON part and its outputs; `headerLength` is its Inference-Header-Content-Length, if any. */
export function decodeInferResponse(body: Buffer, headerLength?: string): DecodedResponse {
  const jsonLength = headerLength === undefined ? body.length : Number(headerLength);
  const response = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as V2InferResponse;
  const outputs: DecodedResponse['outputs'] = {};
  let offset = jsonLength;
  for (const output of response.outputs) {
    const size = output.parameters?.['binary_data_size'];
    if (typeof size !== 'number') {
      outputs[output.name] = output.data ?? [];
      continue;
    }
    const bytes = body.subarray(offset, offset + size);
    offset += size;
    outputs[output.name] = binaryValues(bytes, output.datatype);
  }
  return { response, outputs };
}

/** An output's bytes as numbers; INT64 (which another server may answer for the ranking) as plain numbers. */
function binaryValues(bytes: Uint8Array, datatype: string): Float32Array | Int32Array | number[] {
  if (datatype === 'FP32') return readTensorBytes(bytes, Float32Array);
  if (datatype === 'INT32') return readTensorBytes(bytes, Int32Array);
  if (datatype === 'INT64') return Array.from(readTensorBytes(bytes, BigInt64Array), Number);
  throw new Error(`a binary output of datatype ${datatype} is not one this client reads (FP32, INT32, INT64)`);
}
