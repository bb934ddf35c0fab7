/**
 * A JSON syntax check that builds nothing, and reads on the way the few facts the gateway needs from a rank
 * request or answer: the number of top-level `candidates`, the top-level `scores` (how many, and the first
 * that is not a finite number) and `model.sha256`. About four times faster than JSON.parse on a rank request,
 * and without its garbage; JSON.parse (of the body, then the request's or answer's fields) was the largest
 * cost the gateway added to a request.
 *
 * It accepts exactly what JSON.parse accepts once the bytes are decoded as UTF-8 (RFC 8259 grammar; bytes that
 * are not UTF-8 can only sit inside strings, where JSON.parse sees U+FFFD). Where reading a fact right would
 * need the decoding JSON.parse does (an escaped member name, an escaped or non-ASCII sha256) or nesting is
 * deeper than MAX_DEPTH, it answers UNSURE and the caller asks JSON.parse. The tests hold both to each other
 * (rank-request.test.ts, rank-answer.test.ts).
 */
export interface JsonScan {
  verdict: typeof JSON_OK | typeof NOT_JSON | typeof UNSURE;
  /** Elements of the top-level object's `candidates` array, or -1 when there is no such array. */
  candidates: number;
  /** Elements of the top-level object's `scores` array, or -1 when there is no such array. */
  scores: number;
  /** Index of the first `scores` element that is not a finite number, or -1. */
  firstBadScore: number;
  /** `model.sha256` when it is a string, else undefined. */
  sha256: string | undefined;
}

export const JSON_OK = 0;
export const NOT_JSON = 1;
export const UNSURE = 2;

const MAX_DEPTH = 512;
/** Open containers, innermost last: OBJECT or ARRAY. Scans are synchronous, so one stack serves them all. */
const STACK = new Uint8Array(MAX_DEPTH);
const OBJECT = 1;
const ARRAY = 2;
/** Top-level members whose value is read. */
const OTHER = 0;
const CANDIDATES = 1;
const SCORES = 2;
const MODEL = 3;
/** A member of the model object whose value is read. */
const SHA256 = 4;

const result: JsonScan = { verdict: JSON_OK, candidates: -1, scores: -1, firstBadScore: -1, sha256: undefined };

/** Scans one JSON text; the result object is reused by the next scan. */
export function scanJson(b: Uint8Array): JsonScan {
  result.candidates = -1;
  result.scores = -1;
  result.firstBadScore = -1;
  result.sha256 = undefined;
  result.verdict = scan(b);
  return result;
}

function scan(b: Uint8Array): JsonScan['verdict'] {
  const n = b.length;
  const stack = STACK;
  let depth = 0;
  let i = 0;
  let c = 0;
  /** What the value about to be read is: a top-level member of interest, or the model's sha256. */
  let next = OTHER;
  /** While a top-level candidates or scores array is open: which, and its elements so far. */
  let counting = OTHER;
  let elements = 0;
  /** Whether the container open at depth 2 is the top-level model object. */
  let inModel = false;
  value: for (;;) {
    while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
    if (i >= n) return NOT_JSON;
    c = b[i]!;
    const what = next;
    next = OTHER;
    // A member repeated in an object: JSON.parse keeps the last value, so each occurrence starts afresh.
    if (what === SCORES) result.firstBadScore = -1;
    const element = counting !== OTHER && depth === 2 ? elements++ : -1;
    if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_DEPTH) return UNSURE;
      const kind = c === 0x7b ? OBJECT : ARRAY;
      stack[depth++] = kind;
      i++;
      if (what === CANDIDATES || what === SCORES) {
        if (kind === ARRAY) {
          counting = what;
          elements = 0;
        } else if (what === CANDIDATES) result.candidates = -1;
        else result.scores = -1;
      } else if (what === MODEL) {
        result.sha256 = undefined;
        inModel = kind === OBJECT;
      } else if (what === SHA256) result.sha256 = undefined;
      if (element !== -1 && counting === SCORES && result.firstBadScore === -1) result.firstBadScore = element;
      while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if ((c === 0x5d && kind === ARRAY) || (c === 0x7d && kind === OBJECT)) {
        // [] or {}: on to the closers below
      } else if (kind === OBJECT) {
        i = readMemberName(b, i, n, depth, inModel);
        if (i < 0) return i === UNSURE_NAME ? UNSURE : NOT_JSON;
        next = memberRead;
        continue value;
      } else continue value;
    } else {
      const start = i;
      if (c === 0x22) i = skipString(b, i, n);
      else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) i = skipNumber(b, i, n);
      else if (c === 0x74) i = b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 ? i + 4 : -1;
      else if (c === 0x66) i = b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65 ? i + 5 : -1;
      else if (c === 0x6e) i = b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1;
      else return NOT_JSON;
      if (i < 0) return NOT_JSON;
      if (what === CANDIDATES) result.candidates = -1;
      else if (what === SCORES) result.scores = -1;
      else if (what === MODEL) result.sha256 = undefined;
      else if (what === SHA256) {
        if (c !== 0x22) result.sha256 = undefined;
        else if (!plainAscii(b, start + 1, i - 1)) return UNSURE;
        else result.sha256 = latin1(b, start + 1, i - 1);
      }
      if (element !== -1 && counting === SCORES && result.firstBadScore === -1 && !finiteNumber(b, c, start, i)) {
        result.firstBadScore = element;
      }
    }
    // After a value, or the opener of an empty container: closers and separators.
    for (;;) {
      while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (depth === 0) return i === n ? JSON_OK : NOT_JSON;
      if (i >= n) return NOT_JSON;
      const top = stack[depth - 1];
      if (c === 0x2c) {
        i++;
        if (top === OBJECT) {
          while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
          i = readMemberName(b, i, n, depth, inModel);
          if (i < 0) return i === UNSURE_NAME ? UNSURE : NOT_JSON;
          next = memberRead;
        }
        continue value;
      }
      if ((c === 0x7d && top === OBJECT) || (c === 0x5d && top === ARRAY)) {
        if (depth === 2) {
          if (counting === CANDIDATES) result.candidates = elements;
          else if (counting === SCORES) result.scores = elements;
          counting = OTHER;
          inModel = false;
        }
        depth--;
        i++;
        continue;
      }
      return NOT_JSON;
    }
  }
}

/** readMemberName's answers other than an index: not JSON, or a name only JSON.parse reads right. */
const NOT_A_NAME = -1;
const UNSURE_NAME = -2;
/** What the value after the name readMemberName last read is (see memberOf). */
let memberRead = OTHER;

/**
 * Reads a member name and its colon, the name's opening quote at b[i]: returns the index after the colon (and
 * sets memberRead), or NOT_A_NAME / UNSURE_NAME.
 */
function readMemberName(b: Uint8Array, i: number, n: number, depth: number, inModel: boolean): number {
  if (i >= n || b[i] !== 0x22) return NOT_A_NAME;
  const start = i;
  i = skipString(b, i, n);
  if (i < 0) return NOT_A_NAME;
  memberRead = memberOf(b, start, i, depth, inModel);
  if (memberRead < 0) return UNSURE_NAME;
  let c = 0;
  while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
  return b[i] === 0x3a ? i + 1 : NOT_A_NAME;
}

const NAMES: Array<[number, number[]]> = [
  [CANDIDATES, [...Buffer.from('"candidates"')]],
  [SCORES, [...Buffer.from('"scores"')]],
  [MODEL, [...Buffer.from('"model"')]],
];
const SHA256_NAME = [...Buffer.from('"sha256"')];

/**
 * Which value the member named b[start, end) (quotes included) holds, for an object at `depth`: one of the
 * top-level members read, the model's sha256, or OTHER; -1 when the name is escaped (only JSON.parse reads it
 * right) and could matter.
 */
function memberOf(b: Uint8Array, start: number, end: number, depth: number, inModel: boolean): number {
  if (depth !== 1 && !(depth === 2 && inModel)) return OTHER;
  for (let k = start + 1; k < end - 1; k++) if (b[k] === 0x5c) return -1;
  if (depth === 2) return same(b, start, end, SHA256_NAME) ? SHA256 : OTHER;
  for (const [member, name] of NAMES) if (same(b, start, end, name)) return member;
  return OTHER;
}

function same(b: Uint8Array, start: number, end: number, name: number[]): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
}

function plainAscii(b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === 0x5c || b[k]! >= 0x80) return false;
  return true;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** Whether the value b[start, end) starting with c is a number JSON.parse reads as finite (1e999 is Infinity). */
function finiteNumber(b: Uint8Array, c: number, start: number, end: number): boolean {
  if (!(c === 0x2d || (c >= 0x30 && c <= 0x39))) return false;
  if (end - start <= 300) {
    let plain = true;
    for (let k = start; k < end; k++) if (b[k] === 0x65 || b[k] === 0x45) plain = false;
    if (plain) return true;
  }
  return Number.isFinite(Number(latin1(b, start, end)));
}

/** Index after the string starting at b[i] === '"', or -1. */
function skipString(b: Uint8Array, i: number, n: number): number {
  i++;
  while (i < n) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = b[i + 1];
      if (e === 0x75) {
        for (let k = i + 2; k < i + 6; k++) {
          const h = b[k];
          if (h === undefined || !((h >= 0x30 && h <= 0x39) || ((h | 0x20) >= 0x61 && (h | 0x20) <= 0x66))) return -1;
        }
        i += 6;
        continue;
      }
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      return -1;
    }
    if (c < 0x20) return -1;
    i++;
  }
  return -1;
}

/** Index after the number starting at b[i], or -1. */
function skipNumber(b: Uint8Array, i: number, n: number): number {
  let c = b[i]!;
  if (c === 0x2d) c = b[++i]!;
  if (c === 0x30) c = b[++i]!;
  else if (c >= 0x31 && c <= 0x39) {
    do c = b[++i]!;
    while (c >= 0x30 && c <= 0x39);
  } else return -1;
  if (c === 0x2e) {
    c = b[++i]!;
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = b[++i]!;
    while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++i]!;
    if (c === 0x2b || c === 0x2d) c = b[++i]!;
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = b[++i]!;
    while (c >= 0x30 && c <= 0x39);
  }
  return i > n ? -1 : i;
}
