// The Open Inference Protocol (KServe v2 REST) beside /v1/rank: health, model metadata and readiness, and infer
// with JSON or binary tensors (the binary tensor data extension) in either direction. Every answer names the
// served model (model_version, and its sha256 in parameters); every error is `{"error": "<code>: <sentence>"}`,
// so a readiness reason such as weights_checksum_mismatch survives the protocol's error shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  INFERENCE_HEADER_CONTENT_LENGTH,
  MAX_BODY_BYTES,
  rankingOf,
  type RankResponse,
  V2_PRECISION_PARAMETER,
  V2_RANKING_OUTPUT,
  V2_SHA256_PARAMETER,
  type V2ErrorBody,
  type V2Parameters,
} from '../common/contract';
import { HttpError, readBody, sendJson } from '../common/http';
import { replicaServerTiming } from '../common/server-timing';
import type { VerifiedModel } from './model-state';
import { frameBody, splitBody, tensorBytes } from './oip-binary';
import { type InferInput, readInferRequest } from './oip-v2-request';
import { modelTensors } from './oip-v2-tensors';

/** The model a v2 path names: `/v2/models/{name}[/versions/{version}]/...`. */
export interface ModelRef {
  name?: string;
  version?: string;
}

export type V2Handler = (req: IncomingMessage, res: ServerResponse, ref: ModelRef) => void | Promise<void>;

export interface V2Dependencies {
  /** The model served now, or a 503 HttpError with the reason none is. */
  served(): VerifiedModel;
  /** Runs `fn` with the model served now, leased until it settles; a 503 HttpError when there is none. */
  use<T>(fn: (model: VerifiedModel) => Promise<T>): Promise<T>;
  replica: RankResponse['replica'];
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;

/** Whether a path belongs to the v2 protocol, whose errors take its shape. */
export const isV2Path = (path: string): boolean => path === '/v2' || path.startsWith('/v2/');

/** The route pattern of a v2 model path (the metrics label) and the model it names; undefined for any other path. */
export function matchV2Path(path: string): { pattern: string; ref: ModelRef } | undefined {
  const m = MODEL_PATH.exec(path);
  if (!m) return undefined;
  const [, name, version, action = ''] = m;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return {
    pattern: `/v2/models/{name}${version === undefined ? '' : '/versions/{version}'}${action}`,
    ref: { name: decode(name!), ...(version === undefined ? {} : { version: decode(version) }) },
  };
}

/** An error in the protocol's shape. */
export function v2ErrorBody(error: HttpError): V2ErrorBody {
  return { error: `${error.code}: ${error.message}` };
}

/** The v2 routes, by pattern, for every method they accept. */
export function v2Routes(deps: V2Dependencies): Record<string, { GET?: V2Handler; POST?: V2Handler }> {
  const metadata: V2Handler = (_req, res, ref) => sendJson(res, 200, modelTensors(named(deps.served(), ref).manifest).metadata);
  const ready: V2Handler = (_req, res, ref) => sendJson(res, 200, { name: named(deps.served(), ref).manifest.name, ready: true });
  const infer = inferHandler(deps);
  return {
    '/v2/health/live': { GET: (_req, res) => sendJson(res, 200, { live: true }) },
    '/v2/health/ready': {
      GET: (_req, res) => {
        deps.served();
        sendJson(res, 200, { ready: true });
      },
    },
    '/v2/models/{name}': { GET: metadata },
    '/v2/models/{name}/versions/{version}': { GET: metadata },
    '/v2/models/{name}/ready': { GET: ready },
    '/v2/models/{name}/versions/{version}/ready': { GET: ready },
    '/v2/models/{name}/infer': { POST: infer },
    '/v2/models/{name}/versions/{version}/infer': { POST: infer },
  };
}

/** `model` when the path names it (and its version, if it names one); a 404 otherwise. */
function named(model: VerifiedModel, ref: ModelRef): VerifiedModel {
  const { name, version } = model.manifest;
  if (ref.name !== name) throw new HttpError(404, 'model_not_found', `no model named "${ref.name}": this server serves "${name}"`);
  if (ref.version !== undefined && ref.version !== version) {
    throw new HttpError(404, 'version_not_found', `model "${name}" has no version "${ref.version}": this server serves version "${version}"`);
  }
  return model;
}

/** POST /v2/models/{name}[/versions/{version}]/infer. */
function inferHandler(deps: V2Dependencies): V2Handler {
  return async (req, res, ref) => {
    const started = performance.now();
    // Refuse before reading the body: an unverified replica must not spend time on work it will not serve.
    named(deps.served(), ref);
    const framed = splitBody(await readBody(req, MAX_BODY_BYTES), req.headers[INFERENCE_HEADER_CONTENT_LENGTH]);
    // The request is read against the model that scores it, and the answer names that model.
    const { request, scores, model } = await deps.use(async (model) => {
      const request = readInferRequest(framed, named(model, ref).manifest);
      return { request, scores: await model.ranker.scoreInput(request.input), model };
    });
    sendInferResponse(res, inferResponse(request, scores, model, deps.replica), started);
  };
}

interface Framed {
  body: Buffer | string;
  headerLength?: number;
}

/**
 * The response, JSON written by hand: each JSON output is the numbers' text (as /v1/rank writes it), each binary
 * one its typed array's own bytes, with no number formatting at all.
 */
function inferResponse(request: InferInput, scores: Float32Array, model: VerifiedModel, replica: RankResponse['replica']): Framed {
  const n = scores.length;
  const values = { [modelTensors(model.manifest).scores]: scores, [V2_RANKING_OUTPUT]: Int32Array.from(rankingOf(scores)) };
  const binaries: Uint8Array[] = [];
  const outputs = request.outputs.map(({ name, binary }) => {
    const data = values[name]!;
    const head = JSON.stringify({ name, datatype: data instanceof Float32Array ? 'FP32' : 'INT32', shape: [n] }).slice(0, -1);
    if (!binary) return `${head},"data":${numbersJson(data)}}`;
    const bytes = tensorBytes(data);
    binaries.push(bytes);
    return `${head},"parameters":{"binary_data_size":${bytes.byteLength}}}`;
  });
  const parameters: V2Parameters = {
    [V2_SHA256_PARAMETER]: model.identity.sha256,
    [V2_PRECISION_PARAMETER]: model.identity.precision,
    replica_name: replica.name,
    replica_role: replica.role,
  };
  const head = JSON.stringify({ model_name: model.manifest.name, model_version: model.identity.version, ...(request.id === undefined ? {} : { id: request.id }), parameters });
  const json = `${head.slice(0, -1)},"outputs":[${outputs.join(',')}]}`;
  return binaries.length === 0 ? { body: json } : frameBody(json, binaries);
}

/** JSON numbers; a value that is not finite needs JSON's null, as /v1/rank writes it. */
function numbersJson(values: Float32Array | Int32Array): string {
  return values.every(Number.isFinite) ? `[${values.join(',')}]` : JSON.stringify(Array.from(values, (x) => (Number.isFinite(x) ? x : null)));
}

/** The answer, with the server's own time on the request since `started` (Server-Timing). */
function sendInferResponse(res: ServerResponse, { body, headerLength }: Framed, started: number): void {
  res.writeHead(200, {
    'content-type': headerLength === undefined ? 'application/json' : 'application/octet-stream',
    'content-length': Buffer.byteLength(body),
    ...(headerLength === undefined ? {} : { [INFERENCE_HEADER_CONTENT_LENGTH]: headerLength }),
    'server-timing': replicaServerTiming(performance.now() - started),
  });
  res.end(body);
}
