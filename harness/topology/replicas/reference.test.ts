import { parseModelLoads, parseReadiness } from './reference';

describe('parseReadiness (the reference server\'s GET /readyz, read in one place)', () => {
  it('reads the served model\'s sha256 from a ready answer', () => {
    const body = JSON.stringify({ status: 'ready', model: { name: 'two-tower', version: '1', sha256: 'ab12', precision: 'fp32' } });
    expect(parseReadiness(200, body)).toEqual({ status: 200, ready: true, body, sha256: 'ab12' });
  });

  it('gives the reason a 503 names, code first', () => {
    const body = JSON.stringify({ error: { code: 'model_checksum_mismatch', message: 'model.onnx does not match manifest.json' } });
    expect(parseReadiness(503, body)).toEqual({ status: 503, ready: false, body, reason: 'model_checksum_mismatch: model.onnx does not match manifest.json' });
  });

  it('is not ready on any other status, with the body as the reason when it is not the error shape', () => {
    expect(parseReadiness(502, 'Bad Gateway')).toEqual({ status: 502, ready: false, body: 'Bad Gateway', reason: 'Bad Gateway' });
  });

  it('is ready without a sha256 when a 200 names no model', () => {
    expect(parseReadiness(200, '{}')).toEqual({ status: 200, ready: true, body: '{}' });
  });
});

describe('parseModelLoads', () => {
  it('reads the loads of a GET /v1/model answer, and none from a server that does not list them', () => {
    const load = { at: '2026-11-29T21:40:00.000Z', source: 'sync', outcome: 'loaded', totalMs: 9000, steps: { download: 2100 } };
    expect(parseModelLoads(JSON.stringify({ ready: true, loads: [load] }))).toEqual([load]);
    expect(parseModelLoads(JSON.stringify({ ready: true }))).toEqual([]);
    expect(() => parseModelLoads('<html>')).toThrow(SyntaxError);
  });
});
