// ONNX protobuf written field by field. A message is the concatenation of its encoded fields, and a nested
// message is a tag, its length and its bytes; so a model whose weights are known only by length (generated
// while written) can go to a file, hashed on the way, without its bytes ever being in memory at once.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Bytes known by length before they exist (a tensor's raw_data), produced chunk by chunk when written. */
export interface LazyBytes {
  length: number;
  chunks(): Iterable<Uint8Array>;
}

export type Piece = Uint8Array | LazyBytes;

const LENGTH_DELIMITED = 2;
// Small pieces are gathered into writes of this size: one syscall per tag would dominate a large model's write.
const WRITE_BUFFER = 1 << 20;

const lengthOf = (p: Piece): number => (p instanceof Uint8Array ? p.byteLength : p.length);

export function piecesLength(pieces: readonly Piece[]): number {
  return pieces.reduce((sum, p) => sum + lengthOf(p), 0);
}

/** Protobuf base-128 varint of a non-negative safe integer (lengths beyond 4 GiB need more than 32 bits). */
export function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Field `field` of wire type 2 holding `pieces`: the tag and length, then the pieces themselves. */
export function lengthDelimited(field: number, pieces: readonly Piece[]): Piece[] {
  const header = [...varint(field * 8 + LENGTH_DELIMITED), ...varint(piecesLength(pieces))];
  return [Uint8Array.from(header), ...pieces];
}

function* bytesOf(pieces: readonly Piece[]): Iterable<Uint8Array> {
  for (const p of pieces) {
    if (p instanceof Uint8Array) yield p;
    else yield* checkedChunks(p);
  }
}

function* checkedChunks(lazy: LazyBytes): Iterable<Uint8Array> {
  let produced = 0;
  for (const chunk of lazy.chunks()) {
    produced += chunk.byteLength;
    yield chunk;
  }
  // A wrong length would leave a well-formed-looking file that no protobuf reader can parse.
  if (produced !== lazy.length) throw new Error(`a lazy piece declared ${lazy.length} bytes and produced ${produced}`);
}

/** The pieces as one array (for models small enough to hold). */
export function concatPieces(pieces: readonly Piece[]): Uint8Array {
  const out = new Uint8Array(piecesLength(pieces));
  let at = 0;
  for (const chunk of bytesOf(pieces)) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Writes the pieces to `file` (replacing it) and returns the written bytes' sha256 and length. */
export function writePieces(file: string, pieces: readonly Piece[]): { sha256: string; bytes: number } {
  const fd = openSync(file, 'w');
  try {
    return streamPieces(pieces, (chunk) => writeAll(fd, chunk));
  } finally {
    closeSync(fd);
  }
}

/** The sha256 and length the pieces would have as a file, without writing them anywhere. */
export function hashPieces(pieces: readonly Piece[]): { sha256: string; bytes: number } {
  return streamPieces(pieces, () => undefined);
}

function streamPieces(pieces: readonly Piece[], write: (chunk: Uint8Array) => void): { sha256: string; bytes: number } {
  const hash: Hash = createHash('sha256');
  const buffer = new Uint8Array(WRITE_BUFFER);
  let used = 0;
  let bytes = 0;
  const flush = (): void => {
    if (used > 0) write(buffer.subarray(0, used));
    used = 0;
  };
  for (const chunk of bytesOf(pieces)) {
    hash.update(chunk);
    bytes += chunk.byteLength;
    if (used + chunk.byteLength > WRITE_BUFFER) flush();
    if (chunk.byteLength >= WRITE_BUFFER) write(chunk);
    else {
      buffer.set(chunk, used);
      used += chunk.byteLength;
    }
  }
  flush();
  return { sha256: hash.digest('hex'), bytes };
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at, chunk.byteLength - at);
}
