import type { Role } from '../common/contract';

/**
 * The model sha256 values a replica's answer may claim. Either fixed (--allowed-sha256), or learned: each
 * replica adds the sha256 it reports on GET /readyz when the gateway starts or, if it was not ready then, at
 * its first healthy probe (trust on first use). Once a replica has contributed, a later change of model on it
 * must stay inside the set: a replica that swaps in other weights is refused, not re-learned.
 */
export class ModelAllowList {
  private readonly allowed: Set<string>;
  private readonly fixed: boolean;
  private readonly learnedFrom = new Set<Role>();

  constructor(fixed?: readonly string[]) {
    this.allowed = new Set(fixed);
    this.fixed = fixed !== undefined;
  }

  /** Whether the replica's model identity is settled (always, with a fixed set). */
  knows(role: Role): boolean {
    return this.fixed || this.learnedFrom.has(role);
  }

  /**
   * Judges the sha256 a ready replica reports, learning it on first use; returns why it is refused, or null. A
   * readiness that names no model (another server's, on its own route) is no refusal: its answers are still judged
   * by the model they claim, against the fixed set.
   */
  admit(role: Role, sha256: string | undefined): string | null {
    if (sha256 === undefined) return null;
    if (!this.knows(role)) {
      this.allowed.add(sha256);
      this.learnedFrom.add(role);
      return null;
    }
    return this.problemWith(sha256);
  }

  /** Why an answer claiming this model must not be served, or null when it may. */
  problemWith(sha256: string): string | null {
    return this.allowed.has(sha256) ? null : `model sha256 ${sha256} is not in the allowed set`;
  }

  list(): string[] {
    return [...this.allowed];
  }
}
