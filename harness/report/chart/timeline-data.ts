// What the page's timeline chart plots, laid out from the journal: each request under the way it was recorded to
// have ended, and the fault windows and measured moments as the journal recorded them.
import { ms } from '../format';
import { faultEffectiveAtMs, measuredMoments, requestOutcomes, type Journal } from '../journal';

export interface TimelineSeries {
  label: string;
  kind: 'replica' | 'failed' | 'wrong';
  color: string;
  count: number;
  /** Latency in ms of the requests in this series, null for the others; indexed like TimelineData.xs. */
  ys: (number | null)[];
}

/** Embedded in the page as JSON; every time is in seconds from the start of the load. */
export interface TimelineData {
  /** Send time of each request; one entry per request. */
  xs: number[];
  /** Each request's latency appears in exactly one series. */
  series: TimelineSeries[];
  /** Each fault window, from when it took effect; `requested` (null in older journals) is when it was asked for. */
  faults: { label: string; requested: number | null; from: number; to: number; reverted: boolean }[];
  /** Moments drawn as dashed lines: the end of failover and of fail-back. */
  events: { label: string; at: number }[];
}

const REPLICA_COLORS: Record<string, string> = { primary: '#2563eb', standby: '#0d9488' };
const EXTRA_COLORS = ['#9333ea', '#ca8a04', '#db2777', '#4b5563'];
const UNKNOWN_COLOR = '#4b5563';

/** The colour of a replica in the chart and in the page's tables alike. */
export const replicaColor = (name: string, others: readonly string[] = []): string =>
  REPLICA_COLORS[name] ?? EXTRA_COLORS[others.indexOf(name) % EXTRA_COLORS.length] ?? UNKNOWN_COLOR;

function seriesGroups(servedBy: readonly (string | null)[]): { key: string; label: string; kind: TimelineSeries['kind']; color: string }[] {
  const replicas = [...new Set(servedBy.filter((s): s is string => s !== null))]
    .sort((a, b) => (a in REPLICA_COLORS ? 0 : 1) - (b in REPLICA_COLORS ? 0 : 1) || a.localeCompare(b));
  const others = replicas.filter((s) => !(s in REPLICA_COLORS));
  // Keyed apart from replica names, so a replica called "failed" still gets its own series.
  return [
    ...replicas.map((name) => ({ key: `replica ${name}`, label: name, kind: 'replica' as const, color: replicaColor(name, others) })),
    { key: 'unknown', label: 'unknown replica', kind: 'replica', color: UNKNOWN_COLOR },
    { key: 'failed', label: 'failed', kind: 'failed', color: '#dc2626' },
    { key: 'wrong', label: 'wrong answer', kind: 'wrong', color: '#000000' },
  ];
}

/** Splits the requests by their recorded outcome: a wrong answer, a failed request, or an answer from the replica that served it. */
function requestSeries(journal: Journal): TimelineSeries[] {
  const r = journal.records ?? { sentMs: [], doneMs: [], servedBy: [] };
  const outcomes = requestOutcomes(journal);
  const groups = seriesGroups(r.servedBy);
  const ys = new Map<string, (number | null)[]>(groups.map((g) => [g.key, r.sentMs.map(() => null)]));
  r.sentMs.forEach((sent, i) => {
    const outcome = outcomes[i];
    const servedBy = r.servedBy[i];
    const key = outcome === 'wrong' || outcome === 'failed' ? outcome : servedBy ? `replica ${servedBy}` : 'unknown';
    // A log scale cannot show 0 ms; 0.01 ms is far below anything a network hop takes.
    (ys.get(key) as (number | null)[])[i] = Math.max((r.doneMs[i] ?? sent) - sent, 0.01);
  });
  return groups.map(({ key, label, kind, color }) => {
    const values = ys.get(key) as (number | null)[];
    return { label, kind, color, count: values.filter((v) => v !== null).length, ys: values };
  }).filter((s) => s.count > 0 || s.kind !== 'replica'); // failed and wrong stay in the legend even at 0
}

function faultBands(journal: Journal): TimelineData['faults'] {
  const sent = journal.records?.sentMs ?? [];
  const loadEnd = journal.timing.loadMs ?? sent[sent.length - 1] ?? 0;
  return journal.faults.flatMap((f) => {
    const effective = faultEffectiveAtMs(f);
    if (effective === undefined) return [];
    const requested = f.requestedAtMs ?? null;
    const delay = requested === null ? '' : ` (took effect +${ms(effective - requested)})`;
    return [{ label: `${f.fault} ${f.target}${delay}`, requested: requested === null ? null : requested / 1000, from: effective / 1000, to: (f.revertedAtMs ?? loadEnd) / 1000, reverted: f.revertedAtMs !== undefined }];
  });
}

function measuredEvents(journal: Journal): TimelineData['events'] {
  const m = journal.measurements;
  const moments = measuredMoments(journal);
  if (!m || !moments) return [];
  return [
    ...(moments.failoverEndedAtMs === null ? [] : [{ label: `standby steady (failover ${ms(m.failoverMs)})`, at: moments.failoverEndedAtMs / 1000 }]),
    ...(moments.failbackAtMs === null ? [] : [{ label: `primary steady (fail-back ${ms(m.failbackMs)})`, at: moments.failbackAtMs / 1000 }]),
  ];
}

export function timelineData(journal: Journal): TimelineData {
  return {
    xs: (journal.records?.sentMs ?? []).map((s) => s / 1000),
    series: requestSeries(journal),
    faults: faultBands(journal),
    events: measuredEvents(journal),
  };
}
