// Reading a v2 infer answer, JSON or binary: the one decoder the harness's judge, the gateway's answer check and
// the tests use. It imports no onnxruntime, so it also runs in the load generator's bundled worker thread.
import type { V2InferResponse } from '../common/contract';
import { readTensorBytes } from './oip-binary';

export interface DecodedResponse {
  response: V2InferResponse;
  /** Each output's values, by name, whether it came as JSON or as bytes. */
  outputs: Record<string, Float32Array | Int32Array | number[]>;
}

/**
 * A v2 infer answer's JSON part and its outputs; `headerLength` is its Inference-Header-Content-Length, if any.
 * Throws, with a sentence saying what is wrong, when the JSON part is not an infer response or the binary
 * outputs do not add up to the bytes after it: a truncated answer must not read as a shorter tensor.
 */
export function decodeInferResponse(body: Uint8Array, headerLength?: string): DecodedResponse {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const jsonLength = headerLength === undefined ? bytes.length : Number(headerLength);
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > bytes.length) {
    throw new Error(`Inference-Header-Content-Length "${headerLength}" is not an integer in 0..${bytes.length} (the body's length)`);
  }
  const response = JSON.parse(bytes.subarray(0, jsonLength).toString('utf8')) as V2InferResponse;
  if (!Array.isArray(response?.outputs)) throw new Error('the answer has no outputs array');
  const outputs: DecodedResponse['outputs'] = {};
  let offset = jsonLength;
  for (const output of response.outputs) {
    const size = output?.parameters?.['binary_data_size'];
    if (size === undefined) {
      outputs[output.name] = Array.isArray(output.data) ? output.data : [];
      continue;
    }
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || offset + size > bytes.length) {
      throw new Error(`output "${output.name}" has binary_data_size ${JSON.stringify(size)}, but ${bytes.length - offset} bytes are left in the body`);
    }
    outputs[output.name] = binaryValues(bytes.subarray(offset, offset + size), output.datatype, output.name);
    offset += size;
  }
  if (offset !== bytes.length) throw new Error(`${bytes.length - offset} bytes follow the last binary output`);
  return { response, outputs };
}

/** An output's bytes as numbers; INT64 (which another server may answer for the ranking) as plain numbers. */
function binaryValues(bytes: Uint8Array, datatype: string, name: string): Float32Array | Int32Array | number[] {
  const width = datatype === 'INT64' ? 8 : 4;
  if (bytes.byteLength % width !== 0) throw new Error(`output "${name}" has ${bytes.byteLength} bytes, not a whole number of ${datatype} values`);
  if (datatype === 'FP32') return readTensorBytes(bytes, Float32Array);
  if (datatype === 'INT32') return readTensorBytes(bytes, Int32Array);
  if (datatype === 'INT64') return Array.from(readTensorBytes(bytes, BigInt64Array), Number);
  throw new Error(`a binary output of datatype ${datatype} is not one this client reads (FP32, INT32, INT64)`);
}
