// Reads an Open Inference Protocol infer request into the model's input tensors. Each input comes as JSON `data`
// or as binary bytes after the JSON part (`binary_data_size`), in any mix; binary FP32 and INT64 tensors are read
// as views on the body, so a binary request costs no number parsing at all. Every problem is a 400 naming the
// input (index and name), what it holds and what the model takes.
import { MAX_CANDIDATES, V2_RANKING_OUTPUT } from '../common/contract';
import { HttpError, parseJson } from '../common/http';
import type { InputRole, Manifest } from '../model/manifest';
import type { RankInput } from '../model/ranker';
import { type FramedBody, readTensorBytes } from './oip-binary';
import { type InputTensor, modelTensors, shapeFor } from './oip-v2-tensors';

/** An output the client asked for, and whether as binary bytes after the JSON part. */
export interface OutputChoice {
  name: string;
  binary: boolean;
}

export interface InferInput {
  id: string | undefined;
  input: RankInput;
  outputs: OutputChoice[];
}

interface ReadTensor {
  spec: InputTensor;
  path: string;
  shape: number[];
  values: Float32Array | BigInt64Array;
}

// Shapes past this are refused before their element count is computed.
const MAX_RANK = 8;

function invalid(message: string): HttpError {
  return new HttpError(400, 'invalid_request', message);
}

function invalidTensor(message: string): HttpError {
  return new HttpError(400, 'invalid_tensor', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const show = (value: unknown): string => (JSON.stringify(value) ?? String(value)).slice(0, 60);
const formatShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Reads an infer request for `manifest`'s model; throws a 400 naming the first problem. */
export function readInferRequest({ json, binary }: FramedBody, manifest: Manifest): InferInput {
  const request = parseJson(json);
  if (!isObject(request)) throw invalid(`the infer request must be a JSON object, got ${show(request)}`);
  const { id, inputs, outputs } = request;
  if (id !== undefined && typeof id !== 'string') throw invalid(`id must be a string, got ${show(id)}`);
  const parameters = request['parameters'] ?? {};
  if (!isObject(parameters)) throw invalid(`parameters must be an object, got ${show(parameters)}`);
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid(`inputs must be a non-empty array, got ${show(inputs)}`);
  const tensors = readInputs(inputs, binary, manifest);
  return { id, input: rankInput(tensors), outputs: readOutputs(outputs, parameters['binary_data_output'], manifest) };
}

/** Each input's values, binary ones taken from `binary` in order; all of `binary` must be used. */
function readInputs(inputs: unknown[], binary: Buffer, manifest: Manifest): ReadTensor[] {
  const { inputs: specs } = modelTensors(manifest);
  const names = specs.map((s) => s.name).join(', ');
  const read: ReadTensor[] = [];
  let offset = 0;
  inputs.forEach((input, i) => {
    let path = `inputs[${i}]`;
    if (!isObject(input)) throw invalid(`${path} must be an object {name, datatype, shape, data | parameters.binary_data_size}, got ${show(input)}`);
    const spec = specs.find((s) => s.name === input['name']);
    if (!spec) throw invalid(`${path}.name ${show(input['name'])} is not an input of model "${manifest.name}", whose inputs are ${names}`);
    path = `${path} (${spec.name})`;
    if (read.some((r) => r.spec === spec)) throw invalid(`${path} is given twice`);
    if (input['datatype'] !== spec.datatype) throw invalidTensor(`${path} must be ${spec.datatype}, got datatype ${show(input['datatype'])}`);
    const shape = readShape(input['shape'], path);
    const count = shape.reduce((a, b) => a * b, 1);
    const size = isObject(input['parameters']) ? input['parameters']['binary_data_size'] : undefined;
    if (size !== undefined && input['data'] !== undefined) throw invalid(`${path} has both data and parameters.binary_data_size; give one`);
    if (size === undefined) return void read.push({ spec, path, shape, values: jsonValues(input['data'], spec, count, path) });
    const bytes = binaryBytes(binary, offset, size, spec, shape, path);
    offset += bytes.byteLength;
    read.push({ spec, path, shape, values: spec.datatype === 'FP32' ? readTensorBytes(bytes, Float32Array) : readTensorBytes(bytes, BigInt64Array) });
  });
  if (offset !== binary.length) {
    throw invalidTensor(`${binary.length - offset} bytes follow the JSON part beyond the ${offset} the inputs' binary_data_size values account for`);
  }
  const missing = specs.filter((s) => !read.some((r) => r.spec === s));
  if (missing.length > 0) throw invalid(`inputs lacks ${missing.map((s) => s.name).join(', ')}: model "${manifest.name}" needs ${names}`);
  return read;
}

function readShape(shape: unknown, path: string): number[] {
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_CANDIDATES * 1024)) {
    throw invalidTensor(`${path}.shape must be an array of up to ${MAX_RANK} non-negative integers, got ${show(shape)}`);
  }
  return shape as number[];
}

/** The `size` bytes of one binary input at `offset`, checked against what its shape and datatype need. */
function binaryBytes(binary: Buffer, offset: number, size: unknown, spec: InputTensor, shape: number[], path: string): Buffer {
  const needed = shape.reduce((a, b) => a * b, 1) * (spec.datatype === 'FP32' ? 4 : 8);
  if (!Number.isInteger(size) || (size as number) < 0) throw invalidTensor(`${path}.parameters.binary_data_size must be a non-negative integer, got ${show(size)}`);
  if (size !== needed) throw invalidTensor(`${path}.parameters.binary_data_size is ${size}, but shape ${formatShape(shape)} of ${spec.datatype} needs ${needed} bytes`);
  if (offset + needed > binary.length) {
    throw invalidTensor(`${path} needs ${needed} bytes of binary data at offset ${offset}, but only ${binary.length - offset} follow the JSON part`);
  }
  return binary.subarray(offset, offset + needed);
}

/** JSON `data`, flat or nested row-major, as the input's typed values; ids and features are checked later. */
function jsonValues(data: unknown, spec: InputTensor, count: number, path: string): Float32Array | BigInt64Array {
  if (!Array.isArray(data)) throw invalid(`${path} needs data (an array) or parameters.binary_data_size, got data ${show(data)}`);
  const flat: unknown[] = data.flat(MAX_RANK);
  if (flat.length !== count) throw invalidTensor(`${path}.data holds ${flat.length} values, but its shape needs ${count}`);
  if (spec.datatype === 'FP32') {
    const values = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const x = flat[k];
      if (typeof x !== 'number') throw invalidTensor(`${path}.data[${k}] must be a number, got ${show(x)}`);
      values[k] = x;
    }
    return values;
  }
  const ids = new BigInt64Array(count);
  for (let k = 0; k < count; k++) {
    const x = flat[k];
    if (!Number.isSafeInteger(x)) throw invalidTensor(`${path}.data[${k}] must be an integer, got ${show(x)}`);
    ids[k] = BigInt(x as number);
  }
  return ids;
}

/** The tensors as the model's inputs: every shape fits one number of candidates, ids and features in range. */
function rankInput(tensors: ReadTensor[]): RankInput {
  const candidates = candidateCount(tensors);
  const input: RankInput = { candidates, userId: new BigInt64Array(0), userFeatures: new Float32Array(0), itemIds: new BigInt64Array(0), itemFeatures: new Float32Array(0) };
  for (const { spec, path, shape, values } of tensors) {
    const expected = shapeFor(spec, candidates);
    if (formatShape(shape) !== formatShape(expected)) {
      throw invalidTensor(`${path} has shape ${formatShape(shape)}; for ${candidates} candidate(s) the model takes ${formatShape(expected)}`);
    }
    checkValues(values, spec, path);
    (input as unknown as Record<InputRole, typeof values>)[spec.role] = values;
  }
  return input;
}

/** How many candidates the per-candidate tensors hold (the first one decides; the shape check holds the others to it). */
function candidateCount(tensors: ReadTensor[]): number {
  const first = tensors.find((t) => t.spec.perCandidate)!;
  const n = first.values.length / first.spec.width;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CANDIDATES) {
    throw invalidTensor(`${first.path} holds ${first.values.length} values: the model takes ${first.spec.width} per candidate for 1..${MAX_CANDIDATES} candidates`);
  }
  return n;
}

/** Ids inside their embedding table; features that are finite as float32 (a NaN or Inf input gives NaN scores). */
function checkValues(values: Float32Array | BigInt64Array, spec: InputTensor, path: string): void {
  if (values instanceof Float32Array) {
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) throw invalidTensor(`${path}[${k}] must be a finite float32, got ${values[k]}`);
    }
    return;
  }
  const vocab = BigInt(spec.vocab ?? Number.MAX_SAFE_INTEGER);
  for (let k = 0; k < values.length; k++) {
    if (values[k]! < 0n || values[k]! >= vocab) throw invalidTensor(`${path}[${k}] must be an id in 0..${vocab - 1n}, got ${values[k]}`);
  }
}

/** The outputs asked for (all when `outputs` is absent), binary when asked per output or for the whole request. */
function readOutputs(outputs: unknown, binaryDefault: unknown, manifest: Manifest): OutputChoice[] {
  const known = [modelTensors(manifest).scores, V2_RANKING_OUTPUT];
  if (binaryDefault !== undefined && typeof binaryDefault !== 'boolean') {
    throw invalid(`parameters.binary_data_output must be a boolean, got ${show(binaryDefault)}`);
  }
  const all = binaryDefault ?? false;
  if (outputs === undefined) return known.map((name) => ({ name, binary: all }));
  if (!Array.isArray(outputs)) throw invalid(`outputs must be an array of {name, parameters?}, got ${show(outputs)}`);
  return outputs.map((output, i): OutputChoice => {
    const path = `outputs[${i}]`;
    if (!isObject(output) || !known.includes(output['name'] as string)) {
      throw invalid(`${path} must name an output of model "${manifest.name}" (${known.join(', ')}), got ${show(output)}`);
    }
    if (outputs.slice(0, i).some((o) => (o as { name: unknown }).name === output['name'])) throw invalid(`${path} asks for ${output['name']} twice`);
    const parameters = isObject(output['parameters']) ? output['parameters'] : {};
    const binary = parameters['binary_data'] ?? all;
    if (typeof binary !== 'boolean') throw invalid(`${path}.parameters.binary_data must be a boolean, got ${show(binary)}`);
    return { name: output['name'] as string, binary };
  });
}
