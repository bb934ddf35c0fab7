// The probe set: a few fixed requests with the scores the model must give. A replica runs them after loading a
// model and before serving it; weights that pass the checksum but compute garbage (NaN, Inf, a wrong model
// under the right name) are caught here. Probes see only the rows and weights they touch; the checksum
// covers the rest.
import type { Precision, RankRequest } from '../common/contract';
import type { ProbeCase } from './manifest';
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

export function makeProbes(weights: ModelWeights): ProbeCase[] {
  return generateRequests({ seed: PROBE_SEED, count: PROBE_REQUESTS, candidates: PROBE_CANDIDATES }).map((request) => ({
    request,
    scores: referenceScores(weights, request),
  }));
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
