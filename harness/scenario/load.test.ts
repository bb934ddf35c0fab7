import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../paths';
import { InvalidInputError } from '../errors';
import { MAX_SCENARIO_BYTES, ScenarioError, loadScenario, loadScenarios, parseScenario } from './load';
import { protocolOf } from './schema';

const valid = `name: crash-test
description: a drill
load:
  rate: 100
  duration: 3s
faults:
  - at: 1s
    fault: crash
    target: primary
thresholds:
  - { metric: errors, max: 0 }
`;

function problemsOf(text: string): string[] {
  try {
    parseScenario(text, 'drill.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
}

it('parses a valid scenario with units and defaults', () => {
  const s = parseScenario(valid, 'drill.yaml');
  expect(s.load).toMatchObject({ rate: 100, duration: 3000, slo: 250, timeout: 2000, requests: { count: 64, candidates: 100, seed: 7 } });
  expect(s.faults).toEqual([{ at: 1000, fault: 'crash', target: 'primary', attributes: {} }]);
  expect(s.thresholds).toEqual([{ metric: 'errors', max: 0, phase: 'run' }]);
  expect(s.gateway).toEqual({ failover: true });
});

it('names file, line, column, path and bad value', () => {
  expect(problemsOf(valid.replace('rate: 100', 'rate: -5'))).toEqual([expect.stringMatching(/^drill\.yaml:4:9: load\.rate: .*(got -5)/)]);
});

it('lists the allowed values of an enum', () => {
  const [problem] = problemsOf(valid.replace('target: primary', 'target: primray'));
  expect(problem).toBe('drill.yaml:9:13: faults[0].target: not an allowed value; allowed: primary, standby, sync (got "primray")');
});

it('rejects an unknown fault, listing the known ones', () => {
  expect(problemsOf(valid.replace('fault: crash', 'fault: meteor'))).toEqual([
    expect.stringMatching(/^drill\.yaml:8:12: faults\[0\]\.fault: unknown fault "meteor"; allowed: crash/),
  ]);
});

it('rejects a target the fault type cannot act on', () => {
  expect(problemsOf(valid.replace('target: primary', 'target: sync'))[0]).toMatch(/faults\[0\]\.target: fault "crash" cannot target "sync"; allowed: primary, standby/);
});

it('rejects attributes the fault type does not have', () => {
  const [problem] = problemsOf(valid.replace('target: primary', 'target: primary\n    latency: 5ms'));
  expect(problem).toMatch(/faults\[0\]: unknown field "latency" for fault "crash"/);
});

it('rejects a fault scheduled after the load ends', () => {
  expect(problemsOf(valid.replace('at: 1s', 'at: 4s'))[0]).toMatch(/faults\[0\]\.at: fault starts at 4000 ms, after the load ends \(3000 ms\)/);
});

it('rejects thresholds on unknown metrics and bad durations', () => {
  const problems = problemsOf(valid.replace('metric: errors', 'metric: mood').replace('duration: 3s', 'duration: three'));
  expect(problems).toHaveLength(2);
  expect(problems.join('\n')).toMatch(/load\.duration: expected a duration/);
  expect(problems.join('\n')).toMatch(/thresholds\[0\]\.metric: .*allowed: errors, uncleanErrors, wrongAnswers/);
});

it('reports YAML syntax errors with their position', () => {
  expect(problemsOf('name: [unclosed\n')[0]).toMatch(/^drill\.yaml:\d+:\d+: YAML syntax error/);
});

it('loads every built-in drill', () => {
  const scenarios = loadScenarios([join(projectRoot, 'scenarios')]);
  expect(scenarios.map((s) => s.name)).toContain('primary-crash');
});

it('takes exactly one of max and min on a threshold', () => {
  expect(problemsOf(valid.replace('{ metric: errors, max: 0 }', '{ metric: errors, max: 0, min: 0 }'))[0]).toMatch(/thresholds\[0\]: give exactly one of "max" or "min"/);
  expect(problemsOf(valid.replace('{ metric: errors, max: 0 }', '{ metric: errors }'))[0]).toMatch(/thresholds\[0\]: give exactly one/);
});

it('takes topology overrides: int8 standby, hot backup, your own images', () => {
  const s = parseScenario(`${valid}topology:\n  standbyPrecision: int8\n  sync: { interval: 500ms }\n  images: { router: my/gateway:1.2 }\n`, 'drill.yaml');
  expect(s.topology).toEqual({ standbyPrecision: 'int8', sync: { interval: 500 }, images: { router: 'my/gateway:1.2' }, allowNextModel: false, gateway: 'reference', protocol: 'v1' });
});

it('takes topology.protocol: v1 by default, oip-v2 with binary tensors, or its long form with JSON tensors', () => {
  const protocol = (value?: string) => protocolOf(parseScenario(value === undefined ? valid : `${valid}topology: { protocol: ${value} }\n`, 'drill.yaml').topology.protocol);
  expect(protocol()).toEqual({ name: 'v1' });
  expect(protocol('oip-v2')).toEqual({ name: 'oip-v2', encoding: 'binary' });
  expect(protocol('{ name: oip-v2 }')).toEqual({ name: 'oip-v2', encoding: 'binary' });
  expect(protocol('{ name: oip-v2, encoding: json }')).toEqual({ name: 'oip-v2', encoding: 'json' });
  expect(problemsOf(`${valid}topology: { protocol: { name: v1, encoding: json } }\n`)).toEqual([expect.stringMatching(/topology\.protocol\.name: .*allowed: oip-v2 \(got "v1"\)/)]);
});

describe('topology.model (your own model)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'own-model-'));
    mkdirSync(join(dir, 'my-ranker'));
    for (const f of ['model.onnx', 'manifest.json']) writeFileSync(join(dir, 'my-ranker', f), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withModel = (extra = ''): string => valid.replace('load:', `topology: { model: ./my-ranker${extra} }\nload:`);

  it('resolves the model directory against the scenario file', () => {
    expect(parseScenario(withModel(), join(dir, 'drill.yaml')).topology.model).toBe(join(dir, 'my-ranker'));
  });

  it('refuses what only the reference model has: an int8 standby, a next version to deploy', () => {
    const file = join(dir, 'drill.yaml');
    const refused = (text: string): string => {
      try {
        parseScenario(text, file);
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      throw new Error('expected the scenario to be rejected');
    };
    expect(refused(withModel(', standbyPrecision: int8'))).toMatch(/topology\.standbyPrecision: must be fp32 with your own model/);
    expect(refused(withModel().replace('fault: crash', 'fault: deploy'))).toMatch(/faults\[0\]\.fault: "deploy" rolls out the reference model's next version/);
    expect(refused(withModel().replace('fault: crash', 'fault: corrupt-weights\n    mode: other-model'))).toMatch(/with mode other-model rolls out/);
  });

  it('takes a size preset, with a deploy of its next version, and refuses an unknown size or an int8 standby', () => {
    const file = join(dir, 'drill.yaml');
    const sized = (model: string, extra = ''): string => valid.replace('load:', `topology: { model: ${model}${extra} }\nload:`);
    const deploy = parseScenario(sized('{ size: 512mb }', ', sync: { interval: 1s }, allowNextModel: true').replace('fault: crash', 'fault: deploy'), file);
    expect(deploy.topology.model).toEqual({ size: '512mb' });
    expect(() => parseScenario(sized('{ size: 3gb }'), file)).toThrow(/topology\.model\.size.*"3gb"/s);
    expect(() => parseScenario(sized('{ size: 1gb }', ', standbyPrecision: int8'), file)).toThrow(/topology\.standbyPrecision: must be fp32 with topology\.model\.size \(1gb\)/);
  });
});

describe('input built to exhaust memory', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'huge-scenario-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file larger than the limit before reading it, located at its start', () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `${valid}# ${'x'.repeat(MAX_SCENARIO_BYTES)}\n`);
    expect(() => loadScenario(file)).toThrow(new RegExp(`^${file}:1:1: the file is \\d+ bytes; a scenario file may have at most ${MAX_SCENARIO_BYTES}$`));
  });

  it('refuses what is not a regular file, such as a device that never ends', () => {
    expect(() => loadScenario('/dev/zero')).toThrow(InvalidInputError);
    expect(() => loadScenario('/dev/zero')).toThrow('cannot read scenario file /dev/zero: not a regular file');
  });

  it('still takes aliases used the ordinary way, a hundred times over', () => {
    const thresholds = `thresholds:\n  - &none { metric: errors, max: 0 }\n${'  - *none\n'.repeat(150)}`;
    expect(parseScenario(valid.replace('thresholds:\n  - { metric: errors, max: 0 }\n', thresholds), 'drill.yaml').thresholds).toHaveLength(151);
  });
});
