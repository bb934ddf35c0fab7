// Where /v1/model/weights reads the served model's bytes from. A replica that kept the bytes it verified in memory
// held every model twice (those bytes and onnxruntime's own copy of the weights): 1.9 MB of container memory per MB
// of model. Once verified, the bytes are read from the file they came from instead, through a handle opened before
// the check: a later rename over the path (a deploy, a corrupted file put in place) does not change what the
// handle reads, so the weights served are still the very bytes that were checked.
import { createReadStream } from 'node:fs';
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

/** The file behind an open handle, read by position so that streams do not share an offset. */
export function weightsInFile(handle: FileHandle, size: number): ServedWeights {
  return {
    size,
    // By descriptor, not handle.createReadStream: a FileHandle's close() waits for every stream made from it to
    // close, which a stream that does not own the descriptor never does. The model is leased while it streams.
    stream: () => createReadStream('', { fd: handle.fd, start: 0, end: Math.max(0, size - 1), autoClose: false }),
    close: () => handle.close(),
  };
}

/**
 * A dropped model's bytes (up to 2 GB) stay resident until V8 collects its old generation, which a replica that
 * only answers small requests may not do for minutes. The image runs node with --expose-gc so that this collects
 * them as soon as a load is done; elsewhere it does nothing.
 */
export function releaseGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
