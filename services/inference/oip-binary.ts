// The binary tensor data extension of the Open Inference Protocol: a body is a JSON part, whose length the
// Inference-Header-Content-Length header gives, then each binary tensor's bytes in order: little-endian, row-major,
// no padding. Reading a tensor is a view on the body (no copy, no number parsing) when its offset is aligned.
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../common/contract';
import { HttpError } from '../common/http';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed array the extension carries: FP32, INT32 and INT64 tensors. */
export type NumericArray = Float32Array | Int32Array | BigInt64Array;
interface NumericArrayType<T extends NumericArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

export interface FramedBody {
  json: Buffer;
  /** Everything after the JSON part: the binary tensors, back to back. */
  binary: Buffer;
}

/** Splits a request body at its Inference-Header-Content-Length (no header: the whole body is JSON). */
export function splitBody(body: Buffer, headerLength: string | string[] | undefined): FramedBody {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  const text = String(headerLength);
  const length = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(length <= body.length)) {
    throw new HttpError(
      400,
      'invalid_header',
      `${INFERENCE_HEADER_CONTENT_LENGTH} must be an integer in 0..${body.length} (the body's length), got "${text.slice(0, 40)}"`,
    );
  }
  return { json: body.subarray(0, length), binary: body.subarray(length) };
}

/**
 * `bytes` as values of `type`, whose length the caller has checked is a whole number of them. A view on the same
 * memory when the offset is aligned for the type, else a copy (a typed array cannot start at an unaligned offset);
 * byte-swapped on a big-endian machine.
 */
export function readTensorBytes<T extends NumericArray>(bytes: Uint8Array, type: NumericArrayType<T>): T {
  const width = type.BYTES_PER_ELEMENT;
  const own = !LITTLE_ENDIAN ? swapped(bytes, width) : bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  return new type(own.buffer, own.byteOffset, own.byteLength / width);
}

/** The little-endian bytes of `values`: their own memory on a little-endian machine, no copy. */
export function tensorBytes(values: NumericArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return LITTLE_ENDIAN ? bytes : swapped(bytes, values.BYTES_PER_ELEMENT);
}

/** A copy of `bytes` with each `width`-byte element reversed. */
function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let at = 0; at < bytes.byteLength; at += width) {
    for (let k = 0; k < width; k++) out[at + k] = bytes[at + width - 1 - k]!;
  }
  return out;
}

/** A response body: the JSON part, then the binary outputs' bytes in the order the JSON lists them. */
export function frameBody(json: string, binaries: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const header = Buffer.from(json);
  return { body: Buffer.concat([header, ...binaries]), headerLength: header.byteLength };
}
