// How long the harness waits for a replica to load a model, by the model's size. A replica reads, checksums and
// verifies its model before it answers: in process here that is ~22 s per GB of fp32 (sha256 5.5 s/GB, session
// creation 16.3 s/GB, `npm run bench model-scale`). Two replicas loading at once on 2 cores take about twice
// that, and the budget doubles it again, so a slow machine is not mistaken for a stuck replica.
const SECONDS_PER_GB = 90;
const GB = 1e9;

/** `baseMs` (what a small model needs) plus the time a model of `bytes` may take to load. */
export function modelLoadBudgetMs(baseMs: number, bytes: number): number {
  return baseMs + Math.ceil((bytes / GB) * SECONDS_PER_GB * 1000);
}
