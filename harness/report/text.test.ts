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

it('gives the failover\'s upper bound beside it when the fault was seen with a resolution', () => {
  const journal = recordedJournal();
  journal.measurements = { ...journal.measurements!, failoverMs: 0, failoverAtMostMs: 21.5 };
  expect(drillSummaryText(journal)).toContain('  failover 0.0 ms (at most 21.5 ms), unavailability');
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
  // The hypervisor's steal over the run, where it was measured.
  journal.measurements.environment!.phases.run.cpuStealPercent = 4.2;
  expect(drillSummaryText(journal)).toContain('  machine: CPU pressure (psi) baseline 15.2%, fault 63.4%, recovery –; steal 4.2%; harness CPU 31.0%;');
});

it('lists the recovery steps under the model size: each restart and model load with its steps\' times', () => {
  const journal = recordedJournal();
  expect(drillSummaryText(journal)).not.toContain('recovery steps');
  journal.environment.models = { fp32: { version: 'v1', sha256: 'ab', bytes: 1024 * 2 ** 20 } };
  journal.recovery = [
    { replica: 'primary', event: 'restart: stopped -> accepting again', outcome: 'accepting', atMs: 1530.4, totalMs: 23_101, steps: {} },
    { replica: 'standby', event: 'sync load', outcome: 'loaded', at: '2026-11-29T21:40:00.000Z', totalMs: 9000, steps: { download: 2100, sha256: 5400.5 } },
  ];
  const lines = drillSummaryText(journal).split('\n');
  expect(lines).toContain('  recovery steps (model 1024.0 MB):');
  expect(lines).toContain('    primary restart: stopped -> accepting again: accepting in 23101.0 ms');
  expect(lines).toContain('    standby sync load: loaded in 9000.0 ms (download 2100.0 ms, sha256 5400.5 ms)');
});

it('names what the drill ran against: gateway, model server and protocol (older journals have no such line)', () => {
  const journal = recordedJournal();
  expect(drillSummaryText(journal)).not.toContain('model server');
  journal.environment.deployment = { gateway: 'haproxy', replicas: 'kserve', protocol: 'oip-v2 (binary tensors)' };
  expect(drillSummaryText(journal).split('\n')[2]).toBe('  gateway haproxy, model server kserve, protocol oip-v2 (binary tensors)');
});
