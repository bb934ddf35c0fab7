import { ScenarioError, scenarioFromObject, type ScenarioInput } from './index';

const crash: ScenarioInput = {
  name: 'crash',
  description: 'SIGKILL the primary',
  load: { rate: 100, duration: '4s' },
  faults: [{ at: '1.5s', fault: 'crash', target: 'primary' }],
  thresholds: [{ metric: 'errors', max: 0 }],
};

describe('scenarios as objects', () => {
  it('are validated and converted as a file is', () => {
    const scenario = scenarioFromObject(crash);
    expect(scenario.load.duration).toBe(4000);
    expect(scenario.faults).toEqual([{ at: 1500, fault: 'crash', target: 'primary', attributes: {} }]);
    expect(scenario.file).toBe('<object crash>');
  });

  it('get the loader\'s field-named errors, labelled with the name given', () => {
    const bad = { ...crash, load: { rate: 100, duration: '4 seconds' }, faults: [{ at: '1s', fault: 'explode', target: 'primary' }] } as ScenarioInput;
    expect(() => scenarioFromObject(bad, 'my-drill')).toThrow(ScenarioError);
    expect(() => scenarioFromObject(bad, 'my-drill')).toThrow(/^my-drill:\d+:\d+: load\.duration: expected a duration such as "500ms", "2s" or "1m" \(got "4 seconds"\)/);
    expect(() => scenarioFromObject({ ...crash, faults: [{ at: '1s', fault: 'explode', target: 'primary' }] })).toThrow(/<object crash>:\d+:\d+: faults\[0\]\.fault: unknown fault "explode"; allowed: /);
  });
});
