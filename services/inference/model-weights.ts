// Where /v1/model/weights reads the served model's bytes from. A replica that kept the bytes it verified in memory
// held every model twice (those bytes and onnxruntime's own copy of the weights): 1.9 MB of container memory per MB
// of model. Once verified, the bytes are read from the file they came from instead, through a handle opened before
// the check: a later rename over the path (a deploy, a corrupted file put in place) does not change what the
// handle reads, so the weights served are still the very bytes that were checked.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface ServedWeights {
  readonly size: number;
  /** A stream of the bytes from the first; several may run at once. */
  stream(): Readable;
  /** Releases what holds the bytes (the file handle); streams must have ended. */
  close(): Promise<void>;
}

/** Bytes in memory: a synced model until it is written to disk. */
export function weightsInMemory(bytes: Uint8Array): ServedWeights {
  return { size: bytes.byteLength, stream: () => Readable.from([bytes], { objectMode: false }), close: async () => undefined };
}

/** Bytes per read of a served weights file: large enough to keep a 1 GB download cheap, small enough to stream. */
const CHUNK_BYTES = 1 << 20;

/**
 * The file behind an open handle, read by position so that streams do not share an offset. Each stream reads
 * through the handle and never owns its descriptor: an fs.ReadStream given the handle's fd closes that fd when it
 * is destroyed (a download the client broke off), autoClose or not, and the replica then crashed on the handle's
 * own close (EBADF), or worse, read another file that took the descriptor number. The model is leased while it streams.
 */
export function weightsInFile(handle: FileHandle, size: number): ServedWeights {
  return {
    size,
    stream: () => Readable.from(readByPosition(handle, size), { objectMode: false }),
    close: () => handle.close(),
  };
}

async function* readByPosition(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  for (let position = 0; position < size; ) {
    const length = Math.min(CHUNK_BYTES, size - position);
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, position);
    if (bytesRead === 0) throw new Error(`the model file ended after ${position} of its ${size} bytes`);
    yield bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
    position += bytesRead;
  }
}

/** The sha256 of the bytes, read through a stream: a published variant is checked without holding it in memory. */
export async function sha256OfWeights(weights: ServedWeights): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of weights.stream()) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * A dropped model's bytes (up to 2 GB) stay resident until V8 collects its old generation, which a replica that
 * only answers small requests may not do for minutes. The image runs node with --expose-gc so that this collects
 * them as soon as a load is done; elsewhere it does nothing.
 */
export function releaseGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
