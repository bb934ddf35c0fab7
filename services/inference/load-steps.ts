// How long each step of loading a model took, as the replica itself measured it. A drill against a large model
// needs to know where its recovery time went: reading or downloading the file, the checksum, quantizing,
// onnxruntime's session, the probe set, and putting the model in service.
import { performance } from 'node:perf_hooks';

// variant: checking the int8 variant an fp32 model publishes beside it (its sha256, read from its file).
export const LOAD_STEPS = ['read', 'download', 'sha256', 'quantize', 'session', 'probes', 'variant', 'swap', 'persist'] as const;
export type LoadStep = (typeof LOAD_STEPS)[number];
/** Milliseconds per step; a step the load did not take is absent. */
export type LoadSteps = Partial<Record<LoadStep, number>>;

/** Runs `work` and adds how long it took to `steps[step]` (rounded to 0.1 ms), also when it throws. */
export async function timed<T>(steps: LoadSteps, step: LoadStep, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    steps[step] = Math.round(((steps[step] ?? 0) + performance.now() - started) * 10) / 10;
  }
}
