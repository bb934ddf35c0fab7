/**
 * Reads a rank request's bytes straight into the model's input tensors, without building the request object.
 * JSON.parse of a 1 x 100 request (15 KB, 1,700 numbers), the checks of its objects and the tensors built from
 * them cost more than the inference itself (~100 µs); this scan does all three in ~55 µs.
 *
 * It accepts only what it can read exactly as JSON.parse, parseRankRequest and packRankRequest would: the
 * request members and nothing else, each once, names without escapes, every value valid. Anything else, valid
 * or not, gives undefined and the caller takes that path, which also words the errors. So a request gets the
 * same tensors, or the same error, whichever path reads it (rank-request-scan.test.ts holds them to each other).
 */
import { FEATURE_DIM, MAX_BODY_BYTES, MAX_CANDIDATES } from '../common/contract';
import type { ModelIo } from '../model/manifest';
import type { RankInput } from '../model/ranker';

const FLOAT32_MAX = 3.4028234663852886e38;
/** Powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, e) => Number(`1e${e}`));
/** Relative width of the interval around an approximate value that must round to one float32 (see number()). */
const ROUNDING_MARGIN = 2 ** -49;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Member names, as bytes.
const bytes = (name: string) => Uint8Array.from(name, (c) => c.charCodeAt(0));
const USER_ID = bytes('userId');
const USER_FEATURES = bytes('userFeatures');
const CANDIDATES = bytes('candidates');
const ITEM_ID = bytes('itemId');
const FEATURES = bytes('features');

/** Thrown to leave the scan for the general path; one object, so leaving costs no allocation. */
const GIVE_UP = new Error('not a request this scan reads');

// The scan is synchronous, so one set of scratch buffers and one cursor serve every request.
const userFeatures = new Float32Array(FEATURE_DIM);
const itemFeatures = new Float32Array(MAX_CANDIDATES * FEATURE_DIM);
const itemIds = new Float64Array(MAX_CANDIDATES);
/**
 * The body is copied here (a memcpy, ~1 µs) and ends with a 0 byte, which no rule of the scan accepts: every
 * read stops there, and no loop checks the length. Bytes after it are old requests' and never read as such:
 * any comparison that reaches past the end fails at the 0 first.
 */
const b = new Uint8Array(MAX_BODY_BYTES + 1);
let end = 0;
let i = 0;

/** The request's tensors, or undefined when the general path must read it (see the file comment). */
export function scanRankRequest(body: Uint8Array, vocab: ModelIo['vocab']): RankInput | undefined {
  if (body.length > MAX_BODY_BYTES) return undefined;
  b.set(body);
  b[body.length] = 0;
  end = body.length;
  i = 0;
  try {
    return request(vocab);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

function request(vocab: ModelIo['vocab']): RankInput {
  let userId = -1;
  let haveFeatures = false;
  let candidates = 0;
  expect(0x7b);
  for (;;) {
    skipSpace();
    if (name(USER_ID)) {
      if (userId !== -1) throw GIVE_UP;
      expect(0x3a);
      userId = id(vocab.userId);
    } else if (name(USER_FEATURES)) {
      if (haveFeatures) throw GIVE_UP;
      expect(0x3a);
      features(userFeatures, 0);
      haveFeatures = true;
    } else if (name(CANDIDATES)) {
      if (candidates !== 0) throw GIVE_UP;
      expect(0x3a);
      candidates = candidateList(vocab.itemIds);
    } else throw GIVE_UP;
    const c = next();
    if (c === 0x2c) continue;
    if (c !== 0x7d) throw GIVE_UP;
    break;
  }
  skipSpace();
  if (i !== end || userId === -1 || !haveFeatures || candidates === 0) throw GIVE_UP;
  return {
    candidates,
    userId: int64s(Float64Array.of(userId), 1),
    userFeatures: userFeatures.slice(),
    itemIds: int64s(itemIds, candidates),
    itemFeatures: itemFeatures.slice(0, candidates * FEATURE_DIM),
  };
}

/** `[{itemId, features}, ...]` into the scratch buffers; returns how many. */
function candidateList(vocab: number | undefined): number {
  expect(0x5b);
  let count = 0;
  for (;;) {
    if (count === MAX_CANDIDATES) throw GIVE_UP;
    expect(0x7b);
    let haveId = false;
    let haveFeatures = false;
    for (;;) {
      skipSpace();
      if (name(ITEM_ID)) {
        if (haveId) throw GIVE_UP;
        expect(0x3a);
        itemIds[count] = id(vocab);
        haveId = true;
      } else if (name(FEATURES)) {
        if (haveFeatures) throw GIVE_UP;
        expect(0x3a);
        features(itemFeatures, count * FEATURE_DIM);
        haveFeatures = true;
      } else throw GIVE_UP;
      const c = next();
      if (c === 0x2c) continue;
      if (c !== 0x7d || !haveId || !haveFeatures) throw GIVE_UP;
      break;
    }
    count++;
    const c = next();
    if (c === 0x2c) continue;
    if (c !== 0x5d) throw GIVE_UP;
    return count;
  }
}

/** Exactly FEATURE_DIM finite float32 numbers, into `out` from `at`. */
function features(out: Float32Array, at: number): void {
  expect(0x5b);
  for (let k = 0; k < FEATURE_DIM; k++) {
    skipSpace();
    out[at + k] = number();
    if (next() !== (k === FEATURE_DIM - 1 ? 0x5d : 0x2c)) throw GIVE_UP;
  }
}

/** A JSON number whose float32 rounding is what Float32Array.from(JSON.parse(...)) would hold. */
function number(): number {
  const start = i;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  // Significant digits as an integer (exact up to 2^53, then rounded at each step), and the power of ten.
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  let d = b[i]! - 0x30;
  if (d === 0) i++;
  else if (d > 0 && d <= 9) {
    do {
      mantissa = mantissa * 10 + d;
      digits++;
      d = b[++i]! - 0x30;
    } while (d >= 0 && d <= 9);
  } else throw GIVE_UP;
  if (b[i] === 0x2e) {
    d = b[++i]! - 0x30;
    if (d < 0 || d > 9) throw GIVE_UP;
    do {
      // Zeros before the first significant digit only move the decimal point.
      if (digits > 0 || d !== 0) {
        mantissa = mantissa * 10 + d;
        digits++;
      }
      exponent--;
      d = b[++i]! - 0x30;
    } while (d >= 0 && d <= 9);
  }
  let c = b[i];
  if (c === 0x65 || c === 0x45) {
    c = b[++i];
    const negativeExponent = c === 0x2d;
    if (c === 0x2b || c === 0x2d) i++;
    d = b[i]! - 0x30;
    if (d < 0 || d > 9) throw GIVE_UP;
    let e = 0;
    do {
      if (e < 1e6) e = e * 10 + d;
      d = b[++i]! - 0x30;
    } while (d >= 0 && d <= 9);
    exponent += negativeExponent ? -e : e;
  }
  if (mantissa === 0) return negative ? -0 : 0;
  if (exponent >= -22 && exponent <= 22 && digits <= 19) {
    const value = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!;
    // Up to 15 digits the mantissa is exact, and one operation with an exact power of ten is correctly
    // rounded: this is the double JSON.parse gives (Clinger's fast path).
    if (digits <= 15) return negative ? -value : value;
    // Longer (17 digits is usual for doubles): within a few units in the last place of the exact double. Only
    // its float32 rounding matters, and that is known when every double that close rounds to one float32.
    if (value < 1e38 && Math.fround(value * (1 - ROUNDING_MARGIN)) === Math.fround(value * (1 + ROUNDING_MARGIN))) {
      return negative ? -value : value;
    }
  }
  // Rare: far exponents, 20 digits or more, a value on a float32 rounding boundary. The grammar is checked,
  // so Number() reads exactly what JSON.parse would.
  const exact = Number(String.fromCharCode(...b.subarray(start, i)));
  if (!(Math.abs(exact) <= FLOAT32_MAX)) throw GIVE_UP;
  return exact;
}

/** A non-negative integer id below `vocab` (any that int64 and a double hold exactly without one). */
function id(vocab: number | undefined): number {
  skipSpace();
  let d = b[i]! - 0x30;
  let value = 0;
  if (d === 0) d = b[++i]! - 0x30;
  else if (d > 0 && d <= 9) {
    let digits = 0;
    do {
      value = value * 10 + d;
      d = b[++i]! - 0x30;
    } while (++digits < 15 && d >= 0 && d <= 9);
  } else throw GIVE_UP;
  // A fraction or an exponent (`5.0`, `5e0`) may still be an integer; 16 digits may be past 2^53.
  const c = d + 0x30;
  if (c === 0x2e || c === 0x65 || c === 0x45 || (d >= 0 && d <= 9)) throw GIVE_UP;
  if (vocab !== undefined && value >= vocab) throw GIVE_UP;
  return value;
}

/** The first `count` ids as int64s; on little-endian machines without making a BigInt for each. */
function int64s(ids: Float64Array, count: number): BigInt64Array {
  const out = new BigInt64Array(count);
  if (!LITTLE_ENDIAN) {
    for (let k = 0; k < count; k++) out[k] = BigInt(ids[k]!);
    return out;
  }
  const words = new Uint32Array(out.buffer);
  for (let k = 0; k < count; k++) {
    const low = ids[k]! % 0x1_0000_0000;
    words[2 * k] = low;
    words[2 * k + 1] = (ids[k]! - low) / 0x1_0000_0000;
  }
  return out;
}

/** Whether a member name `"<expected>"` is next; consumes it when it is. */
function name(expected: Uint8Array): boolean {
  if (b[i] !== 0x22 || b[i + expected.length + 1] !== 0x22) return false;
  for (let k = 0; k < expected.length; k++) if (b[i + 1 + k] !== expected[k]) return false;
  i += expected.length + 2;
  return true;
}

function expect(c: number): void {
  if (next() !== c) throw GIVE_UP;
}

/** The next byte that is not JSON whitespace, consumed. */
function next(): number {
  skipSpace();
  return b[i++]!;
}

function skipSpace(): void {
  let c = b[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i];
}
