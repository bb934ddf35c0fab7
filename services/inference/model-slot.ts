// Holds the model being served and swaps it without failing a request: each request leases the model it
// started with, and a replaced model's session and weights file are released only after its last lease ends.
import type { VerifiedModel } from './model-state';

interface Entry {
  model: VerifiedModel;
  leases: number;
  retired: boolean;
}

export class ModelSlot {
  private entry: Entry | undefined;
  private readonly releasing = new Set<Promise<void>>();

  get current(): VerifiedModel | undefined {
    return this.entry?.model;
  }

  /** Runs `fn` with the current model, or returns undefined when there is none. */
  async use<T>(fn: (model: VerifiedModel) => Promise<T>): Promise<{ value: T } | undefined> {
    const entry = this.entry;
    if (!entry) return undefined;
    entry.leases++;
    try {
      return { value: await fn(entry.model) };
    } finally {
      entry.leases--;
      if (entry.retired && entry.leases === 0) this.release(entry);
    }
  }

  /** Serves `next` from now on (nothing when undefined); the previous model is released once idle. */
  replace(next: VerifiedModel | undefined): void {
    const previous = this.entry;
    this.entry = next && { model: next, leases: 0, retired: false };
    if (!previous) return;
    previous.retired = true;
    if (previous.leases === 0) this.release(previous);
  }

  /** Stops serving and waits until every session is released. */
  async close(): Promise<void> {
    this.replace(undefined);
    await Promise.all(this.releasing);
  }

  private release(entry: Entry): void {
    const { ranker, weights, int8 } = entry.model;
    const done = Promise.all([ranker.release(), weights.close(), int8?.weights.close()]).then(() => undefined).finally(() => this.releasing.delete(done));
    this.releasing.add(done);
  }
}
