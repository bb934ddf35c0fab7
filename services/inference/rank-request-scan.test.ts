// The service reads most rank requests with a scan instead of JSON.parse + parseRankRequest + packRankRequest
// (see rank-request-scan.ts). These tests hold the scan to that path: whatever it accepts, it reads into the
// same tensors, byte for byte; whatever that path refuses, it leaves alone. And it must take the requests
// clients send, or it would be correct and useless.
import fc from 'fast-check';
import { FEATURE_DIM, MAX_CANDIDATES, type RankRequest } from '../common/contract';
import { parseJson } from '../common/http';
import { ITEM_VOCAB, type ModelIo, TWO_TOWER_IO, USER_VOCAB } from '../model/manifest';
import { packRankRequest, type RankInput } from '../model/ranker';
import { generateRequests } from '../model/requests';
import { scanRankRequest } from './rank-request-scan';
import { parseRankRequest } from './validate';

const VOCAB = TWO_TOWER_IO.vocab;

function generalPath(body: Buffer, vocab: ModelIo['vocab'] = VOCAB): RankInput | undefined {
  try {
    return packRankRequest(parseRankRequest(parseJson(body), vocab));
  } catch {
    return undefined;
  }
}

/** The tensors as bytes: exact, -0 and +0 apart. */
function bytesOf(input: RankInput | undefined) {
  if (!input) return undefined;
  const raw = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  return { candidates: input.candidates, userId: raw(input.userId), userFeatures: raw(input.userFeatures), itemIds: raw(input.itemIds), itemFeatures: raw(input.itemFeatures) };
}

/** The scan reads `body` as the general path does, or leaves it to that path. Returns whether it read it. */
function expectScanAgrees(body: Buffer, vocab: ModelIo['vocab'] = VOCAB): boolean {
  const scanned = scanRankRequest(body, vocab);
  if (scanned === undefined) return false;
  expect({ body: body.toString('latin1'), tensors: bytesOf(scanned) }).toEqual({ body: body.toString('latin1'), tensors: bytesOf(generalPath(body, vocab)) });
  return true;
}

/**
 * Numbers as JSON writes them, and as other writers do: exponents, upper-case E, a plus sign, padding zeros;
 * now and then one outside float32 or not JSON at all (each request holds dozens, and one bad one spoils it).
 */
const numberText = fc.oneof(
  { arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String), weight: 20 },
  { arbitrary: fc.double({ min: -1e38, max: 1e38, noNaN: true }).map(String), weight: 10 },
  { arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }).map(String), weight: 10 },
  { arbitrary: fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: 0, max: 20 })).map(([x, d]) => x.toFixed(d)), weight: 10 },
  { arbitrary: fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: 0, max: 20 })).map(([x, d]) => x.toExponential(d)), weight: 10 },
  {
    arbitrary: fc.tuple(fc.double({ min: -1e30, max: 1e30, noNaN: true }), fc.constantFrom('e', 'E', 'e+', 'E-')).map(([x, e]) => x.toExponential().replace('e+', e)),
    weight: 10,
  },
  // Float32 rounding boundaries: the midpoint between two float32s, written at several precisions.
  {
    arbitrary: fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }).chain((f) => {
      const next = new Float32Array([f]);
      new Int32Array(next.buffer)[0]! += 1;
      const mid = (f + next[0]!) / 2;
      return fc.constantFrom(String(mid), mid.toPrecision(17), mid.toPrecision(16), mid.toPrecision(19), mid.toPrecision(21));
    }),
    weight: 10,
  },
  { arbitrary: fc.constantFrom('0', '-0', '0.0', '-0.0', '1e38', '3.4028234663852886e38', '1e-45', '1e-46', '0.1e1', '1E+2', '0.000001234'), weight: 5 },
  { arbitrary: fc.constantFrom('3.4028235677973366e38', '3.5e38', '1e39', '-1e400'), weight: 1 },
  { arbitrary: fc.double().map(String), weight: 1 },
  // Not JSON.
  { arbitrary: fc.constantFrom('01', '-', '1.', '.5', '+1', '1e', '1e+', '--1', '0x10', 'NaN', 'Infinity', '1_0'), weight: 1 },
);

const idText = fc.oneof(
  { arbitrary: fc.nat({ max: ITEM_VOCAB - 1 }).map(String), weight: 30 },
  {
    arbitrary: fc.constantFrom('0', '-0', '5.0', '5e0', '05', '1e3', String(USER_VOCAB - 1), String(USER_VOCAB), String(ITEM_VOCAB), '-1', '9007199254740993', '123456789012345', '1234567890123456', '1.5', '"7"'),
    weight: 1,
  },
);

const space = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  ');

/** A request's JSON written member by member, in any order, with any numbers, maybe a member missing, repeated or extra. */
const requestText = fc
  .record({
    userId: idText,
    userFeatures: fc.oneof(
      { arbitrary: fc.array(numberText, { minLength: FEATURE_DIM, maxLength: FEATURE_DIM }), weight: 10 },
      { arbitrary: fc.array(numberText, { minLength: FEATURE_DIM - 1, maxLength: FEATURE_DIM + 1 }), weight: 1 },
    ),
    candidates: fc.array(
      fc.record({ itemId: idText, features: fc.array(numberText, { minLength: FEATURE_DIM, maxLength: FEATURE_DIM }), swap: fc.boolean() }),
      { minLength: 0, maxLength: 4 },
    ),
    order: fc.constantFrom([0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 1, 2], [2, 0, 1], [0, 1, 2, 0], [0, 2], [0, 1, 2, 3]),
    s: space,
  })
  .map(({ userId, userFeatures, candidates, order, s }) => {
    const list = (items: string[]) => `[${s}${items.join(`,${s}`)}${s}]`;
    const member = (k: number) =>
      [
        `"userId"${s}:${s}${userId}`,
        `"userFeatures":${list(userFeatures)}`,
        `"candidates":${list(
          candidates.map(({ itemId, features, swap }) => {
            const parts = [`"itemId":${itemId}`, `"features":${s}${list(features)}`];
            return `{${s}${(swap ? parts.reverse() : parts).join(',')}${s}}`;
          }),
        )}`,
        `"extra":${s}null`,
      ][k];
    return Buffer.from(`${s}{${s}${order.map(member).join(`${s},${s}`)}${s}}${s}`);
  });

describe('scanRankRequest', () => {
  it('reads the requests clients send: generated ones, and doubles at full precision', () => {
    const requests: RankRequest[] = [...generateRequests({ seed: 3, count: 20, candidates: 100 }), ...generateRequests({ seed: 4, count: 5, candidates: MAX_CANDIDATES })];
    // What a client holding float64 features (JSON.stringify writes up to 17 digits) sends.
    const precise = requests.slice(0, 10).map((r) => ({
      ...r,
      userFeatures: r.userFeatures.map((x) => x + Math.random() / 3),
      candidates: r.candidates.map((c) => ({ ...c, features: c.features.map((x) => x * Math.PI) })),
    }));
    for (const r of [...requests, ...precise]) {
      for (const body of [JSON.stringify(r), JSON.stringify(r, null, 2)]) expect(expectScanAgrees(Buffer.from(body))).toBe(true);
    }
  });

  it('agrees with JSON.parse + parseRankRequest on generated request texts, valid or not', () => {
    let read = 0;
    let valid = 0;
    fc.assert(
      fc.property(requestText, (body) => {
        if (expectScanAgrees(body)) read++;
        if (generalPath(body)) valid++;
      }),
      { numRuns: 3000 },
    );
    // Valid requests the scan leaves to the general path: a quarter have an extra or a repeated member, and some
    // a number on a float32 rounding boundary (about 2 in 3 are read).
    expect({ valid: valid > 100, readShare: read / valid > 0.5 }).toEqual({ valid: true, readShare: true });
  });

  it('leaves to the general path what that path refuses, after any edit of a valid request', () => {
    const valid = generateRequests({ seed: 5, count: 3, candidates: 2 }).map((r) => JSON.stringify(r));
    const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'replace'), fc.nat(), fc.constantFrom(...'{}[]:,"\\ \n0123456789-+.eE', '\u00e9', '\u0000', 'x'));
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) => {
        let s = text;
        for (const [kind, at, ch] of edits) {
          const i = at % (s.length + 1);
          s = kind === 'delete' ? s.slice(0, i) + s.slice(i + 1) : kind === 'insert' ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
        }
        expectScanAgrees(Buffer.from(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('checks ids against the model it reads for, and allows any exact int64 when the model takes none', () => {
    const [r] = generateRequests({ seed: 6, count: 1, candidates: 3 });
    const body = (userId: number, itemId: number) => Buffer.from(JSON.stringify({ ...r!, userId, candidates: r!.candidates.map((c) => ({ ...c, itemId })) }));
    expect(scanRankRequest(body(USER_VOCAB - 1, ITEM_VOCAB - 1), VOCAB)).toBeDefined();
    expect(scanRankRequest(body(USER_VOCAB, 0), VOCAB)).toBeUndefined();
    expect(scanRankRequest(body(0, ITEM_VOCAB), VOCAB)).toBeUndefined();
    expect(scanRankRequest(body(USER_VOCAB, ITEM_VOCAB), {})).toBeDefined();
    for (const [u, i] of [[USER_VOCAB, 0], [0, ITEM_VOCAB], [123456789012345, 1]] as const) {
      expectScanAgrees(body(u, i), {});
      expectScanAgrees(body(u, i));
    }
  });

  it('refuses more than the most candidates, and none', () => {
    const [r] = generateRequests({ seed: 7, count: 1, candidates: MAX_CANDIDATES });
    expect(scanRankRequest(Buffer.from(JSON.stringify(r)), VOCAB)).toBeDefined();
    const tooMany = { ...r!, candidates: [...r!.candidates, r!.candidates[0]!] };
    expect(scanRankRequest(Buffer.from(JSON.stringify(tooMany)), VOCAB)).toBeUndefined();
    expect(scanRankRequest(Buffer.from(JSON.stringify({ ...r!, candidates: [] })), VOCAB)).toBeUndefined();
  });
});
