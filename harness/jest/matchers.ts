// The drill matchers, as plain functions of a drill's result: `expect(result).toPassDrill()` and friends. A
// failing one prints the drill's console summary (thresholds with observed values, the first failure) and the
// path of its HTML report, which is where a failed gate is diagnosed.
import type { DrillResult } from '../index';
import type { Journal } from '../report/journal';
import { ms } from '../report/format';
import { drillSummaryText } from '../report/text';

export interface MatcherOutcome {
  pass: boolean;
  message: () => string;
}

/** What the matchers accept: runDrill's result, or a journal read from journal.json (then without an HTML path). */
export type DrillOutcome = Pick<DrillResult, 'journal'> & Partial<Pick<DrillResult, 'htmlPath'>> | Journal;

const journalOf = (outcome: DrillOutcome): Journal => ('journal' in outcome ? outcome.journal : outcome);

function isDrillOutcome(value: unknown): value is DrillOutcome {
  const v = value as { journal?: { schemaVersion?: unknown }; schemaVersion?: unknown } | null;
  return typeof v === 'object' && v !== null && (v.journal?.schemaVersion === 1 || v.schemaVersion === 1);
}

function report(outcome: DrillOutcome): string {
  const j = journalOf(outcome);
  const failing = j.thresholds.find((t) => !t.pass);
  const lines = [drillSummaryText(j)];
  if (failing) lines.push(`first failing threshold: ${failing.name} (observed ${failing.observed ?? 'never'})`);
  if ('htmlPath' in outcome && outcome.htmlPath) lines.push(`HTML report: ${outcome.htmlPath}`);
  return lines.join('\n');
}

/**
 * One matcher: `holds` says whether the drill has the property and what was observed. `.not` reads the same
 * sentence with "not".
 */
function drillMatcher(property: string, holds: (j: Journal) => { ok: boolean; observed: string }) {
  return (received: unknown): MatcherOutcome => {
    if (!isDrillOutcome(received)) {
      return { pass: false, message: () => `expected a drill result (from runDrill) or a journal, got ${typeof received === 'object' ? JSON.stringify(received)?.slice(0, 80) : String(received)}` };
    }
    const j = journalOf(received);
    const { ok, observed } = holds(j);
    return { pass: ok, message: () => `expected drill ${j.scenario.name} ${ok ? 'not ' : ''}to ${property}; ${observed}\n\n${report(received)}` };
  };
}

/** A measurement the drill only has when its load ran: an errored drill fails every matcher that reads one. */
function measured(j: Journal, read: (m: NonNullable<Journal['measurements']>) => { ok: boolean; observed: string }): { ok: boolean; observed: string } {
  return j.measurements ? read(j.measurements) : { ok: false, observed: `it measured nothing (verdict ${j.verdict})` };
}

export const drillMatchers = {
  toPassDrill: drillMatcher('pass', (j) => ({ ok: j.verdict === 'pass', observed: `its verdict is ${j.verdict}${j.diagnosis.firstFailure ? ` (${j.diagnosis.firstFailure})` : ''}` })),
  toFailOverWithin: (received: unknown, limitMs: number): MatcherOutcome => drillMatcher(`fail over within ${limitMs} ms`, (j) => measured(j, (m) => ({
    ok: m.failoverMs !== null && m.failoverMs <= limitMs,
    observed: m.failoverMs === null ? 'it never failed over' : `it failed over in ${ms(m.failoverMs)}`,
  })))(received),
  toServeNoWrongAnswers: drillMatcher('serve no wrong answer', (j) => measured(j, (m) => ({ ok: m.wrongAnswers === 0, observed: `it served ${m.wrongAnswers} wrong answer(s)` }))),
  toLoseNoRequests: drillMatcher('lose no request', (j) => measured(j, (m) => ({ ok: m.errors === 0, observed: `${m.errors} request(s) failed` }))),
};
