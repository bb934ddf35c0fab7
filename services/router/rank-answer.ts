/**
 * Why a 2xx rank body must not be passed on, or null when it is usable. A replica that answers 200 with
 * garbage is as broken as one that answers 500, but a client would take its word: the gateway checks the shape.
 */
export function problemWithRankAnswer(body: Buffer, candidateCount: number | undefined): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return body.length === 0 ? 'the 2xx answer has an empty body' : 'the 2xx answer is not valid JSON';
  }
  const scores = (parsed as { scores?: unknown } | null)?.scores;
  if (!Array.isArray(scores)) return 'the 2xx answer has no scores array';
  if (candidateCount !== undefined && scores.length !== candidateCount) {
    return `the 2xx answer has ${scores.length} scores for ${candidateCount} candidates`;
  }
  const bad = scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
  if (bad !== -1) return `the 2xx answer has a score that is not a finite number at index ${bad}`;
  return null;
}

/** Number of candidates in a rank request, when the request has that shape (replicas judge the rest). */
export function candidateCountOf(request: unknown): number | undefined {
  const candidates = (request as { candidates?: unknown } | null)?.candidates;
  return Array.isArray(candidates) ? candidates.length : undefined;
}
