// The gateway reads request and answer bodies with a scan instead of JSON.parse (see json-scan.ts). These
// tests hold the scan to JSON.parse: for requests the same verdict, 400 message and candidate count; for
// answers the same verdict and message; on generated JSON, on edits of it that are mostly not JSON, and on the
// corner cases of the grammar.
import fc from 'fast-check';
import { HttpError, parseJson } from '../common/http';
import { candidateCountOf, problemWithParsedRankAnswer, problemWithRankAnswer } from './rank-answer';
import { JSON_OK, NOT_JSON, scanJson, UNSURE } from './json-scan';
import { candidateCountOfRequest } from './rank-request';

type Verdict = { ok: true; count: number | undefined } | { ok: false; status: number; code: string; message: string };

function judge(f: (body: Buffer) => number | undefined, body: Buffer): Verdict {
  try {
    return { ok: true, count: f(body) };
  } catch (e) {
    const error = e as HttpError;
    return { ok: false, status: error.status, code: error.code, message: error.message };
  }
}

const byJsonParse = (body: Buffer) => judge((b) => candidateCountOf(parseJson(b)), body);
const byGateway = (body: Buffer) => judge(candidateCountOfRequest, body);

function expectSameAsJsonParse(body: Buffer): void {
  const expected = byJsonParse(body);
  expect({ body: body.toString('latin1'), verdict: byGateway(body) }).toEqual({ body: body.toString('latin1'), verdict: expected });
  // The scan itself must not refuse what JSON.parse takes (the gateway would still be right, only slower).
  const scanned = scanJson(body);
  if (expected.ok && scanned.verdict !== UNSURE) {
    expect([scanned.verdict, scanned.candidates]).toEqual([JSON_OK, expected.count ?? -1]);
  }
}

const rankRequest = (candidates: number) => ({
  userId: 7,
  userFeatures: Array.from({ length: 16 }, (_, i) => i / 16),
  candidates: Array.from({ length: candidates }, (_, i) => ({ itemId: i + 1, features: Array.from({ length: 16 }, () => 0.5) })),
});

/** JSON texts: rank-shaped requests, and any JSON value, with and without candidates, in varied layouts. */
const jsonText = fc
  .tuple(
    fc.oneof(
      fc.nat({ max: 40 }).map(rankRequest),
      fc.jsonValue(),
      fc.record({ candidates: fc.jsonValue(), other: fc.jsonValue() }),
      fc.dictionary(fc.constantFrom('candidates', 'userId', 'x', ''), fc.jsonValue()),
      fc.array(fc.jsonValue()).map((candidates) => ({ candidates })),
    ),
    fc.constantFrom(undefined, 0, 1, 2, '\t', '\r\n', ' \n '),
  )
  .map(([value, space]) => JSON.stringify(value, null, space) ?? 'null');

/**
 * An edit that usually breaks JSON: delete, insert or replace one byte, replace one of the grammar's
 * punctuation bytes (where the scan's checks are), or cut the text short.
 */
const edit = fc.tuple(
  fc.constantFrom('delete', 'insert', 'replace', 'punctuation', 'truncate'),
  fc.nat(),
  fc.oneof(fc.constantFrom(...'{}[]:,"\\ \t\n\r0123456789-+.eEtrufalsn/bx=;\'\u0000\u001f\u007f'), fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b))),
);

const PUNCTUATION = Buffer.from('{}[]:,"');

function applyEdits(text: string, edits: Array<[string, number, string]>): Buffer {
  let bytes = Buffer.from(Buffer.from(text, 'utf8'));
  for (const [kind, at, ch] of edits) {
    const i = bytes.length === 0 ? 0 : at % (bytes.length + (kind === 'insert' ? 1 : 0));
    const b = Buffer.from(ch, 'latin1');
    if (kind === 'punctuation') {
      // The first punctuation byte from a random place on, wrapping around.
      for (let k = 0; k < bytes.length; k += 1) {
        const j = (i + k) % bytes.length;
        if (PUNCTUATION.includes(bytes[j]!)) {
          bytes[j] = b[0]!;
          break;
        }
      }
    } else if (kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
    else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), b, bytes.subarray(i)]);
    else if (kind === 'replace') bytes = Buffer.concat([bytes.subarray(0, i), b, bytes.subarray(i + 1)]);
    else bytes = bytes.subarray(0, i);
  }
  return bytes;
}

describe('request body judged by scan, held to JSON.parse', () => {
  it('agrees on generated JSON texts: accepted, with the same candidate count', () => {
    fc.assert(fc.property(jsonText, (text) => expectSameAsJsonParse(Buffer.from(text, 'utf8'))), { numRuns: 3000 });
  });

  it('agrees on edited JSON texts, most of them not JSON: same verdict and 400 message', () => {
    fc.assert(
      fc.property(jsonText, fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) => expectSameAsJsonParse(applyEdits(text, edits))),
      { numRuns: 10000 },
    );
  });

  it('agrees on raw bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => expectSameAsJsonParse(Buffer.from(bytes))), { numRuns: 5000 });
  });

  it.each([
    '', ' ', '{', '}', '[', '[]', '{}', ' {} ', '{} {}', '{},', 'null', 'true', 'false', 'tru', 'nul', 'falsey', '"',
    '"a', '"\\"', '"\\u12"', '"\\u12G4"', '"\\uD800"', '"\\x"', '"a\u0001b"', '"a\u007fb"', '"é"', '\ufeff{}',
    '0', '-0', '01', '-', '1.', '.5', '1e', '1e+', '1E-2', '-1.5e300', '1e999', '+1', '0x10', 'NaN', 'Infinity',
    '{"a":1,}', '[1,]', '[,1]', '{"a" 1}', '{a:1}', "{'a':1}", '{"a":1 "b":2}', '[1 2]',
    '{"candidates":[]}', '{"candidates":[1,[2,3],{"a":[4]}]}', '{"candidates":{}}', '{"candidates":"x"}',
    '{"candidates":[1],"candidates":null}', '{"candidates":null,"candidates":[1,2]}', '[{"candidates":[1]}]',
    '{"x":{"candidates":[1]}}', '{"candid\\u0061tes":[1,2,3]}', '{"candidates":[1,2],"candid\\u0061tes":[1]}',
    '{"candidates" : [ 1 , 2 ] }', '\n\t{"candidates":[\r\n1]}\n',
  ])('agrees on %j', (text) => {
    expectSameAsJsonParse(Buffer.from(text, 'utf8'));
  });

  it('agrees on invalid UTF-8 inside strings, which JSON.parse sees as U+FFFD', () => {
    expectSameAsJsonParse(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    expectSameAsJsonParse(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d]));
  });

  it('leaves nesting deeper than its stack to JSON.parse', () => {
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    expect(scanJson(Buffer.from(deep)).verdict).toBe(UNSURE);
    expectSameAsJsonParse(Buffer.from(deep));
    expect(scanJson(Buffer.from(`${'['.repeat(600)}`)).verdict).toBe(UNSURE);
    expectSameAsJsonParse(Buffer.from(`{"candidates":[${'['.repeat(600)}${']'.repeat(600)}]}`));
  });

  it('refuses non-JSON with the service\'s 400 invalid_json, and counts the candidates of a rank request', () => {
    expect(byGateway(Buffer.from('{"userId": 7,'))).toMatchObject({ ok: false, status: 400, code: 'invalid_json' });
    expect(scanJson(Buffer.from('{"userId": 7,')).verdict).toBe(NOT_JSON);
    expect(byGateway(Buffer.from(JSON.stringify(rankRequest(20))))).toEqual({ ok: true, count: 20 });
    expect(byGateway(Buffer.from('{"userId": 7}'))).toEqual({ ok: true, count: undefined });
  });
});

const ALLOWED = 'ab'.repeat(32);
const problemWithModel = (sha256: string) => (sha256 === ALLOWED ? null : `model sha256 ${sha256} is not in the allowed set`);

function expectAnswerJudgedAsByJsonParse(body: Buffer, candidateCount: number | undefined): void {
  const expected = problemWithParsedRankAnswer(body, candidateCount, problemWithModel);
  expect({ body: body.toString('latin1'), candidateCount, problem: problemWithRankAnswer(body, candidateCount, problemWithModel) }).toEqual({
    body: body.toString('latin1'),
    candidateCount,
    problem: expected,
  });
  // The facts the scan read, where it was sure, are JSON.parse's.
  let parsed: { scores?: unknown; model?: { sha256?: unknown } } | null;
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    expect(scanJson(body).verdict).not.toBe(JSON_OK);
    return;
  }
  const scanned = scanJson(body);
  if (scanned.verdict === UNSURE) return;
  const scores = parsed?.scores;
  const sha256 = parsed?.model?.sha256;
  expect({ verdict: scanned.verdict, scores: scanned.scores, firstBadScore: scanned.firstBadScore, sha256: scanned.sha256 }).toEqual({
    verdict: JSON_OK,
    scores: Array.isArray(scores) ? scores.length : -1,
    firstBadScore: Array.isArray(scores) ? scores.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x)) : -1,
    sha256: typeof sha256 === 'string' ? sha256 : undefined,
  });
}

const sha = fc.oneof(fc.constant(ALLOWED), fc.constant('cd'.repeat(32)), fc.string(), fc.jsonValue());
const score = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.jsonValue());
const answerValue = fc.oneof(
  fc.record({
    scores: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 30 }),
    ranking: fc.array(fc.nat(30), { maxLength: 30 }),
    model: fc.record({ version: fc.constant('v1'), sha256: fc.constant(ALLOWED), precision: fc.constantFrom('fp32', 'int8') }),
    replica: fc.record({ name: fc.string(), role: fc.constantFrom('primary', 'standby') }),
  }),
  fc.record(
    { scores: fc.oneof(fc.array(score, { maxLength: 8 }), fc.jsonValue()), model: fc.oneof(fc.record({ sha256: sha }), fc.jsonValue()), other: fc.record({ sha256: sha }) },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
/** Number tokens JSON.stringify never writes: overflowing, huge, negative zero. */
const rawScores = fc.array(fc.constantFrom('1e999', '-1e999', '1e308', '1.7976931348623157e308', '1.8e308', '-0', '0.0e-999', '1E999', '-2E+400', '1'.repeat(400), `${'1'.repeat(300)}.5`, '2'), { maxLength: 5 });
const answerText = fc.oneof(
  fc.tuple(answerValue, fc.constantFrom(undefined, 0, 1, '\t')).map(([value, space]) => JSON.stringify(value, null, space) ?? 'null'),
  fc.tuple(rawScores, sha).map(([tokens, sha256]) => `{"scores":[${tokens.join(',')}],"model":{"sha256":${JSON.stringify(sha256) ?? 'null'}}}`),
);
const candidateCount = fc.option(fc.nat(30), { nil: undefined });

describe('answer body judged by scan, held to JSON.parse', () => {
  it('agrees on generated answers', () => {
    fc.assert(fc.property(answerText, candidateCount, (text, count) => expectAnswerJudgedAsByJsonParse(Buffer.from(text, 'utf8'), count)), { numRuns: 3000 });
  });

  it('agrees on edited answers, most of them not JSON', () => {
    fc.assert(
      fc.property(answerText, fc.array(edit, { minLength: 1, maxLength: 3 }), candidateCount, (text, edits, count) =>
        expectAnswerJudgedAsByJsonParse(applyEdits(text, edits), count),
      ),
      { numRuns: 6000 },
    );
  });

  it.each([
    '', 'null', '[]', '"scores"', '{"scores":[]}', '{"scores":[1,2],"scores":[1]}', '{"scores":[null],"scores":[1]}',
    '{"scores":[1],"scores":"x"}', '{"scores":{"0":1}}', '{"scores":[[1],2]}', '{"scores":[1,"2"]}', '{"scores":[true]}',
    '{"scores":[1e999]}', '{"scores":[1],"model":{"sha256":"x","sha256":1}}', '{"scores":[1],"model":{"sha256":1,"sha256":"x"}}',
    '{"scores":[1],"model":{"sha256":"x"},"model":{}}', '{"scores":[1],"model":[{"sha256":"x"}]}', '{"scores":[1],"model":"x"}',
    '{"scores":[1],"x":{"sha256":"x"}}', '{"scores":[1],"model":{"x":{"sha256":"x"}}}', '{"scores":[1],"model":{"sha\\u0032\\u00356":"x"}}',
    `{"scores":[1],"model":{"sha256":"${ALLOWED.slice(0, 10)}\\u0061${ALLOWED.slice(11)}"}}`, '{"scores":[1],"model":{"sha256":"é"}}',
    '{"sc\\u006fres":[1]}', `{"scores":[1],"model":{},"x":{"sha256":"${ALLOWED}"}}`, `{"model":{"sha256":"${ALLOWED}"},"x":{"sha256":"y"},"scores":[1]}`,
    `{"scores":[0.1,0.2],"model":{"sha256":"${ALLOWED}"}}`, `{"scores":[0.1,0.2],"model":{"sha256":"${ALLOWED}"}} x`,
  ])('agrees on %j', (text) => {
    for (const count of [undefined, 0, 1, 2]) expectAnswerJudgedAsByJsonParse(Buffer.from(text, 'utf8'), count);
  });

  it('reads a typical answer without falling back to JSON.parse', () => {
    const body = Buffer.from(JSON.stringify({ scores: [0.1, 0.2, 0.3], ranking: [2, 1, 0], model: { version: 'v1', sha256: ALLOWED, precision: 'fp32' }, replica: { name: 'r', role: 'primary' } }));
    expect(scanJson(body)).toMatchObject({ verdict: JSON_OK, scores: 3, firstBadScore: -1, sha256: ALLOWED });
    expect(problemWithRankAnswer(body, 3, problemWithModel)).toBeNull();
  });
});
