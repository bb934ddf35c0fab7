import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passingJournal, retried } from '../../test/report/attempts';
import { HOSTILE, hostileJournal, recordedJournal } from '../../test/report/journals';
import { containerDrift } from '../measure/drift';
import { timelineData } from './chart/timeline-data';
import type { Journal } from './journal';
import { renderDrillHtml, renderIndexHtml } from './html';
import { escapeHtml } from './page/template';
import { readJournal, writeJournal, writeRunReports } from './write';

const embeddedData = (page: string): unknown => {
  const match = /<script type="application\/json" id="timeline-data">([^<]*)<\/script>/.exec(page);
  if (!match) throw new Error('the page has no timeline-data script');
  return JSON.parse(match[1] as string);
};

/** The markup of the page's table with this id. */
const tableIn = (page: string, id: string): string => {
  const start = page.indexOf(`<table id="${id}">`);
  return page.slice(start, page.indexOf('</table>', start));
};

/** The recorded journal with some measurements added, rendered. */
const renderedWith = (added: Partial<NonNullable<Journal['measurements']>>, environment: Partial<Journal['environment']> = {}): string => {
  const j = recordedJournal();
  return renderDrillHtml({ ...j, environment: { ...j.environment, ...environment }, measurements: { ...j.measurements!, ...added } });
};

describe('renderDrillHtml', () => {
  const journal = hostileJournal();
  const page = renderDrillHtml(journal);

  it('escapes every text from the journal, so none of it becomes markup or ends a script', () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain(HOSTILE);
    // Exactly the two scripts the page brings: the chart data, and the chart bundled with uPlot.
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    expect(page).toContain(`<p class="desc">description ${escapeHtml(HOSTILE)}</p>`);
    expect(page).toContain(`<pre class="log">warning in colour\n${escapeHtml(HOSTILE)}</pre>`);
  });

  it("shows the end of the gateway's log beside the replicas', where a gateway says why it answered 502", () => {
    expect(page).toContain(`<h3>gateway</h3>\n<p class="meta">last 1 log lines</p>\n<pre class="log">[error] no live upstreams ${escapeHtml(HOSTILE)}</pre>`);
  });

  it('embeds the chart data as JSON that reads back exactly, hostile labels included', () => {
    expect(embeddedData(page)).toEqual(timelineData(journal));
  });

  it('shows the verdict, the first failure and one row per threshold with its result', () => {
    expect(page).toContain('<body class="fail">');
    expect(page).toContain('<span class="badge" id="verdict">FAIL</span> hostile</h1>');
    expect(page).toContain(`<p class="why">threshold errors[run] &lt;= 0 failed: ${escapeHtml(HOSTILE)}</p>`);
    const rows = page.match(/<tr class="(passed|failed)"><td class="(ok|bad)">[^<]*<\/td><td><code>[^<]*<\/code>/g);
    expect(rows).toEqual([
      '<tr class="failed"><td class="bad">FAIL</td><td><code>errors[run] &lt;= 0</code>',
      '<tr class="passed"><td class="ok">pass</td><td><code>failoverMs[run] &lt;= 1000</code>',
      '<tr class="failed"><td class="bad">FAIL</td><td><code>failbackMs[run] &lt;= 1000</code>',
    ]);
    expect(page).toMatch(/<td class="num">≤ 1000<\/td><td class="num">never<\/td>/);
  });

  it('shows failover, unavailability and fail-back, and the steady state that did not hold', () => {
    expect(page).toContain('<div class="k">failover</div><div class="v">520.0 ms</div>');
    expect(page).toContain('<div class="k">unavailability</div><div class="v">480.0 ms</div>');
    expect(page).toContain('<div class="k">fail-back</div><div class="v">never</div>');
    expect(page).toContain(`<td class="bad">FAILED</td><td class="num">15000.0 ms</td><td>primary not ready: ${escapeHtml(HOSTILE)}</td>`);
  });

  it('shows the consistency of primary and standby, with the size an int8 standby saves', () => {
    const page = renderedWith({
      consistency: {
        primary: { version: 'v-fp32', sha256: 'a', precision: 'fp32' },
        standby: { version: 'v-int8', sha256: 'b', precision: 'int8' },
        requests: 64, maxAbsScoreDelta: 0.147, meanTop10Overlap: 0.9921, minTop10Overlap: 0.9, sameTop1Rate: 0.984,
      },
    }, { models: { fp32: { version: 'v-fp32', sha256: 'a', bytes: 7_739_450 }, int8: { version: 'v-int8', sha256: 'b', bytes: 2_058_263 } } });
    const table = tableIn(page, 'consistency');
    expect(table).toContain('v-int8 (int8)');
    expect(table).toContain('mean 99.2%, worst 90.0%');
    expect(table).toContain('98.4%');
    expect(table).toContain('0.266 (3.76x smaller)');
  });

  it('shows a soak drill\'s memory per container and latency per window, and no drift section for other drills', () => {
    expect(renderDrillHtml(recordedJournal())).not.toContain('<table id="drift">');
    const samples = [0, 5000, 10000].map((atMs, i) => ({ atMs, memoryBytes: (80 + i) * 1024 * 1024 }));
    const page = renderedWith({
      drift: {
        containers: { primary: containerDrift(samples), gateway: containerDrift(samples.map((s) => ({ ...s, memoryBytes: 40 * 1024 * 1024 }))) },
        memoryGrowthMb: 2,
        windows: [{ startMs: 0, count: 500, p50Ms: 2.5, p99Ms: 8 }, { startMs: 60_000, count: 480, p50Ms: 2.6, p99Ms: 9.25 }],
        p50DriftMs: 0.1,
        p99DriftMs: 1.25,
      },
    });
    const table = tableIn(page, 'drift');
    expect(table).toContain('<td>primary</td><td class="num">81.0 MB</td><td class="num">81.0 MB</td><td class="num">82.0 MB</td><td class="num">0.0 MB</td><td class="num">12.00 MB/min</td>');
    expect(table).toContain('<td>gateway</td><td class="num">40.0 MB</td>');
    expect(page).toContain('<tr><td>60000.0 ms</td><td class="num">480</td><td class="num">2.6 ms</td><td class="num">9.3 ms</td></tr>');
    expect(page).toContain('p99 1.3 ms');
  });

  it('shows the machine beside each phase\'s latency, and nothing of it for a journal that did not record it', () => {
    const quiet = { cpuPressurePercent: 15.24, harnessCpuPercent: 31, sendLatenessP50Ms: 0.2, sendLatenessP99Ms: 0.9, sendLatenessMaxMs: 2.25 };
    const page = renderedWith({
      environment: { pressureSource: 'psi', sampleIntervalMs: 100, phases: { run: quiet, baseline: quiet, fault: { ...quiet, cpuPressurePercent: 63.4, sendLatenessP99Ms: 12 }, recovery: { ...quiet, cpuPressurePercent: null } } },
    });
    const table = tableIn(page, 'phases');
    expect(table).toContain('<th class="num">max</th><th class="num">CPU pressure (psi)</th><th class="num">harness CPU</th><th class="num">send lateness p99</th><th class="num">max</th><th>served by</th>');
    expect(table).toMatch(/<td>fault<\/td>(<td class="num">[^<]*<\/td>){8}<td class="num">63\.4%<\/td><td class="num">31\.0%<\/td><td class="num">12\.0 ms<\/td><td class="num">2\.3 ms<\/td>/);
    expect(table).toMatch(/<td>recovery \(after revert\)<\/td>(<td class="num">[^<]*<\/td>){8}<td class="num">–<\/td>/);
    expect(page).toContain('from 40% a failing latency or failover threshold names it');
    // A journal that recorded steal has a column for it (this one did not: none, rather than dashes).
    expect(table).not.toContain('steal');
    const stolen = { ...quiet, cpuStealPercent: 12.5 };
    const withSteal = renderedWith({
      environment: { pressureSource: 'psi', sampleIntervalMs: 100, phases: { run: stolen, baseline: stolen, fault: { ...stolen, cpuStealPercent: null }, recovery: stolen } },
    });
    expect(tableIn(withSteal, 'phases')).toContain('<th class="num">CPU pressure (psi)</th><th class="num">steal</th><th class="num">harness CPU</th>');
    expect(tableIn(withSteal, 'phases')).toMatch(/<td>fault<\/td>(<td class="num">[^<]*<\/td>){8}<td class="num">15\.2%<\/td><td class="num">–<\/td><td class="num">31\.0%<\/td>/);
    expect(tableIn(withSteal, 'phases')).toMatch(/<td>baseline \(before faults\)<\/td>(<td class="num">[^<]*<\/td>){8}<td class="num">15\.2%<\/td><td class="num">12\.5%<\/td>/);
    expect(withSteal).toContain('from 10% a failing threshold names it too');
    const before = renderDrillHtml(recordedJournal());
    expect(tableIn(before, 'phases')).not.toContain('CPU pressure');
    expect(before).not.toContain('Send lateness');
  });

  it("shows under a phase's p99 where its slowest answers' time went, when the gateway said", () => {
    const j = recordedJournal();
    const slowest = { answers: 7, latencyMs: 320.44, attemptMs: 12.2, beforeAttemptMs: 300.1, outsideMs: 8 };
    const table = tableIn(renderedWith({ phases: { ...j.measurements!.phases, fault: { ...j.measurements!.phases.fault, slowest } } }), 'phases');
    expect(table).toContain('slowest 1 %: 320.4 ms: 12.2 ms answering attempt, 300.1 ms in the gateway before it, 8.0 ms outside the gateway');
    expect(tableIn(renderDrillHtml(j), 'phases')).not.toContain('slowest 1 %');
  });

  it('shows each fault\'s request, the moment it took effect, how that was seen and Docker\'s exit time', () => {
    const faults: Journal['faults'] = [{
      fault: 'crash', target: 'primary', at: 2000, attributes: {}, requestedAtMs: 2000.2, effectiveAtMs: 2026.7, revertedAtMs: 4000,
      effect: { method: `a TCP connect was refused ${HOSTILE}`, resolutionMs: 1.4, exitedAtMs: 2025.1 },
    }];
    const table = tableIn(renderDrillHtml({ ...hostileJournal(), faults }), 'faults');
    expect(table).toContain('<td class="num">2000.2 ms</td>');
    expect(table).toContain('2026.7 ms<div class="caption">+26.5 ms after the request</div>');
    expect(table).toContain(`a TCP connect was refused ${escapeHtml(HOSTILE)} (resolution 1.4 ms)`);
    expect(table).toContain('State.FinishedAt): 2025.1 ms');
  });

  it('shows the model size and each recovery step with its steps\' times, a refused load marked failed', () => {
    const recovery: Journal['recovery'] = [
      { replica: 'primary', event: 'restart: stopped -> accepting again', outcome: 'accepting', atMs: 1530.4, totalMs: 23_101, steps: {} },
      { replica: 'standby', event: `sync load ${HOSTILE}`, outcome: 'weights_checksum_mismatch', at: '2026-11-29T21:40:00.000Z', totalMs: 900, steps: { download: 800, sha256: 99.5 }, bytes: 2 ** 30 },
    ];
    const models = { fp32: { version: 'v1', sha256: 'ab', bytes: 2 ** 30 }, int8: { version: 'v1', sha256: 'cd', bytes: 272 * 2 ** 20 } };
    const rendered = renderDrillHtml({ ...hostileJournal(), environment: { ...hostileJournal().environment, models }, recovery });
    expect(rendered).toContain('Model served: 1024.0 MB (fp32), int8 variant 272.0 MB.');
    const table = tableIn(rendered, 'recovery');
    expect(table).toContain('<td>primary</td><td>restart: stopped -&gt; accepting again</td><td>accepting</td><td>1530.4 ms</td><td class="num">23101.0 ms</td><td></td>');
    expect(table).toContain(`<tr class="failed"><td>standby</td><td>sync load ${escapeHtml(HOSTILE)} (1024.0 MB)</td><td>weights_checksum_mismatch</td>`);
    expect(table).toContain('<td>download 800.0 ms, sha256 99.5 ms</td>');
  });

  it('shows an older journal\'s injection time as the moment its fault took effect', () => {
    const table = tableIn(page, 'faults');
    expect(table).toContain('<td class="num">1000.0 ms</td><td>the start of inject (a journal from before effects were observed)</td>');
  });

  it('marks an interrupted drill as such', () => {
    expect(renderDrillHtml({ ...journal, verdict: 'error', interrupted: true })).toContain('<span class="badge" id="verdict">ERROR (interrupted)</span>');
  });

  it('needs no network: the chart and uPlot are inlined and nothing is loaded from elsewhere', () => {
    expect(page).toContain('/*! uPlot v');
    expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/);
  });
});

describe('drill report on a journal written before outcomes and moments were recorded', () => {
  it('renders it read from disk, with its failures plotted and its failover line drawn', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-old-journal-'));
    try {
      const file = join(dir, 'journal.json');
      writeFileSync(file, JSON.stringify(recordedJournal()));
      const data = embeddedData(renderDrillHtml(readJournal(file))) as ReturnType<typeof timelineData>;
      expect(data.series.find((s) => s.kind === 'failed')?.count).toBe(67);
      expect(data.events.map((e) => e.label)).toEqual(['standby steady (failover 248.5 ms)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderIndexHtml', () => {
  it('links each drill\'s page with its verdict, failover and errors, escaping names', () => {
    const page = renderIndexHtml([recordedJournal(), hostileJournal(HOSTILE)]);
    expect(page).not.toContain('<img');
    expect(page).toContain('<a href="primary-crash/index.html">primary-crash</a>');
    expect(page).toContain(`<a href="${escapeHtml(encodeURIComponent(HOSTILE))}/index.html">${escapeHtml(HOSTILE)}</a>`);
    expect(page).toMatch(/primary-crash<\/a>.*<span class="badge small">FAIL<\/span><\/td><td class="num">1200<\/td><td class="num">67<\/td><td class="num">0<\/td><td class="num">248\.5 ms<\/td>/);
    expect(page).toContain('<body class="fail">');
  });
});

describe('renderIndexHtml of drills run again', () => {
  it('marks a flaky drill, counts it, and links the page of each failed attempt with why it failed', async () => {
    const page = renderIndexHtml([await retried(recordedJournal(), passingJournal()), hostileJournal()]);
    expect(page).toContain('<span>1 flaky</span>');
    expect(page).toContain('<tr class="pass flaky">');
    expect(page).toContain('<span class="badge small">PASS (flaky; 2 attempts: fail, pass)</span>');
    expect(page).toContain('<ul class="attempts"><li><a href="primary-crash/attempt-1/index.html">attempt 1: FAIL</a> threshold errors[run] &lt;= 0 failed: observed 67</li></ul>');
    // The run still passed overall: a flaky drill is a pass unless --fail-on-flaky says otherwise.
    expect(renderIndexHtml([await retried(recordedJournal(), passingJournal())])).toContain('<body class="pass">');
  });

  it('shows the attempts of a drill that failed every time, not as flaky', async () => {
    const page = renderIndexHtml([await retried(recordedJournal(), recordedJournal())]);
    expect(page).toContain('<tr class="fail failed">');
    expect(page).toContain('<span class="badge small">FAIL (2 attempts: fail, fail)</span>');
    expect(page).toContain('<span>0 flaky</span>');
  });
});

describe('writing the reports', () => {
  it('writes <name>/index.html next to the journal and index.html for the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-html-'));
    try {
      const journal = recordedJournal();
      writeJournal(dir, journal);
      writeRunReports(dir, [journal]);
      expect(readFileSync(join(dir, 'primary-crash', 'index.html'), 'utf8')).toBe(renderDrillHtml(journal));
      expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe(renderIndexHtml([journal]));
      expect(existsSync(join(dir, 'junit.xml'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
