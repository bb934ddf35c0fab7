// The probe set: a few fixed requests with the scores the model must give. A replica runs them after loading a
// model and before serving it; weights that pass the checksum but compute garbage (NaN, Inf, a wrong model
// under the right name) are caught here. Probes see only the rows and weights they touch; the checksum
// covers the rest.
import type { Precision, RankRequest } from '../common/contract';
import type { ModelIo, ProbeCase } from './manifest';
import { type ModelWeights, referenceScores } from './reference';
import { generateRequests } from './requests';

const PROBE_SEED = 0x5eed;
const PROBE_REQUESTS = 4;
const PROBE_CANDIDATES = 20;

/**
 * |actual - expected| may be at most absolute + relative * |expected|. Expected scores come from the float64
 * reference forward pass; onnxruntime's float32 kernels differ from it by ~1e-6 relative (summation order, FMA),
 * and the int8 variant's DequantizeLinear adds one more float32 rounding per weight.
 */
export const PROBE_TOLERANCE: Readonly<Record<Precision, { absolute: number; relative: number }>> = {
  fp32: { absolute: 1e-4, relative: 1e-4 },
  int8: { absolute: 2e-4, relative: 2e-4 },
};

/** The probe requests for a model with these id ranges. */
function probeRequests(vocab: ModelIo['vocab'] = {}): RankRequest[] {
  return generateRequests({ seed: PROBE_SEED, count: PROBE_REQUESTS, candidates: PROBE_CANDIDATES, vocab });
}

/** The two-tower model's probe set, with expected scores from the independent reference forward pass. */
export function makeProbes(weights: ModelWeights, vocab: ModelIo['vocab'] = {}): ProbeCase[] {
  return probeRequests(vocab).map((request) => ({ request, scores: referenceScores(weights, request) }));
}

/** The user and item ids the probe set looks up: the only embedding rows its expected scores need. */
export function probeIds(vocab: ModelIo['vocab'] = {}): { user: number[]; item: number[] } {
  const requests = probeRequests(vocab);
  return { user: requests.map((r) => r.userId), item: requests.flatMap((r) => r.candidates.map((c) => c.itemId)) };
}

/**
 * A probe set recorded from the model itself, for a model from elsewhere: it cannot show that the model is right,
 * only that the weights a replica loads compute what they computed when the manifest was written. Throws when a
 * score is NaN or infinite.
 */
export async function recordProbes(score: (req: RankRequest) => Promise<ArrayLike<number>>, vocab: ModelIo['vocab']): Promise<ProbeCase[]> {
  const probes: ProbeCase[] = [];
  for (const [p, request] of probeRequests(vocab).entries()) {
    const scores = Array.from(await score(request));
    const bad = scores.findIndex((s) => !Number.isFinite(s));
    if (bad !== -1) throw new Error(`the model scored probe ${p} candidate ${bad} as ${scores[bad]}`);
    probes.push({ request, scores });
  }
  return probes;
}

/** Runs every probe; returns a sentence describing the first score out of tolerance, or undefined when all pass. */
export async function checkProbes(
  score: (req: RankRequest) => Promise<ArrayLike<number>>,
  probes: readonly ProbeCase[],
  precision: Precision,
): Promise<string | undefined> {
  const { absolute, relative } = PROBE_TOLERANCE[precision];
  for (const [p, probe] of probes.entries()) {
    const actual = await score(probe.request);
    if (actual.length !== probe.scores.length) {
      return `probe ${p} gave ${actual.length} scores for ${probe.scores.length} candidates`;
    }
    for (let i = 0; i < actual.length; i++) {
      const got = actual[i]!;
      const want = probe.scores[i]!;
      // Written so that NaN fails: every comparison with NaN is false.
      if (!(Math.abs(got - want) <= absolute + relative * Math.abs(want))) {
        return `probe ${p} candidate ${i} scored ${got} where ${want} was expected (tolerance ${absolute} + ${relative} x |expected| for ${precision})`;
      }
    }
  }
  return undefined;
}
