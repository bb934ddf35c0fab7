import { hostileJournal, recordedJournal } from '../../test/report/journals';
import { drillSummaryText } from './text';

it('tells the console the verdict, the figures with their units, each threshold and the first failure', () => {
  const lines = drillSummaryText(recordedJournal()).split('\n');
  expect(lines[0]).toMatch(/^primary-crash: FAIL \(run primary-crash-\w+, 22\.5 s\)$/);
  expect(lines).toContain('  requests 1200, errors 67, wrong answers 0, late 135');
  expect(lines).toContain('  failover 248.5 ms, unavailability 339.2 ms, p99 509.7 ms');
  expect(lines).toContain('  FAIL errors[run] <= 0 (observed 67)');
  expect(lines[lines.length - 1]).toBe('  first failure: threshold errors[run] <= 0 failed: observed 67');
});

it('says never for a failover that did not happen', () => {
  const journal = hostileJournal();
  journal.measurements = { ...journal.measurements!, failoverMs: null };
  expect(drillSummaryText(journal)).toContain('  failover never, unavailability 480.0 ms, p99 20.0 ms');
});

it('gives the machine one line: CPU pressure by phase, the harness CPU and the send lateness', () => {
  const journal = recordedJournal();
  expect(drillSummaryText(journal)).not.toContain('machine:');
  const phase = (cpuPressurePercent: number | null) => ({ cpuPressurePercent, harnessCpuPercent: 31.04, sendLatenessP50Ms: 0.2, sendLatenessP99Ms: 0.94, sendLatenessMaxMs: 8.1 });
  journal.measurements = { ...journal.measurements!, environment: { pressureSource: 'psi', sampleIntervalMs: 100, phases: { run: phase(30), baseline: phase(15.24), fault: phase(63.4), recovery: phase(null) } } };
  expect(drillSummaryText(journal).split('\n')).toContain('  machine: CPU pressure (psi) baseline 15.2%, fault 63.4%, recovery –; harness CPU 31.0%; send lateness p99 0.9 ms, max 8.1 ms');
});
