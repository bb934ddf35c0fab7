import { ScenarioError, parseScenario } from './load';

const drill = (body: string): string => `name: ok\ndescription: a drill\nload: { rate: 100, duration: 6s }\nthresholds: [{ metric: errors, max: 0 }]\n${body}`;

describe('topology.replicas', () => {
  it('accepts KServe with the drills it can have: a crash, and damaged weights met by a restart', () => {
    const s = parseScenario(drill('topology: { replicas: kserve }\nfaults:\n  - { at: 1s, fault: crash, target: primary }\n  - { at: 2s, fault: corrupt-weights, target: standby, mode: flip, then: restart, duration: 1s }\n'), 'drill.yaml');
    expect(s.topology.replicas).toBe('kserve');
    expect(s.faults.map((f) => f.fault)).toEqual(['crash', 'corrupt-weights']);
  });

  it('makes oip-v2 the protocol of a server that speaks only it, keeping the encoding a file asks for', () => {
    expect(parseScenario(drill('topology: { replicas: kserve }\n'), 'drill.yaml').topology.protocol).toBe('oip-v2');
    const json = { name: 'oip-v2', encoding: 'json' };
    expect(parseScenario(drill('topology: { replicas: kserve, protocol: { name: oip-v2, encoding: json } }\n'), 'drill.yaml').topology.protocol).toEqual(json);
    expect(parseScenario(drill(''), 'drill.yaml').topology.protocol).toBe('v1');
  });

  it('accepts Triton described in the long form, though it cannot run here', () => {
    const triton = [
      'topology:',
      '  replicas:',
      '    image: nvcr.io/nvidia/tritonserver:24.08-py3',
      '    command: [tritonserver, --model-repository=/models]',
      '    port: 8000',
      '    modelPath: /models/two-tower-ranker/1/model.onnx',
      '    readiness: /v2/models/{{model}}/ready',
    ].join('\n');
    expect(parseScenario(drill(`${triton}\n`), 'drill.yaml').topology.replicas).toMatchObject({ port: 8000, modelPath: '/models/two-tower-ranker/1/model.onnx' });
  });

  it('refuses, for each field at once, what a server without admin reload or hot backup cannot do', () => {
    const body = 'topology: { replicas: kserve, sync: { interval: 1s }, images: { inference: mine:1 } }\nfaults:\n  - { at: 1s, fault: deploy, target: primary }\n  - { at: 2s, fault: corrupt-weights, target: standby, mode: nan, then: reload }\n';
    let error: unknown;
    try {
      parseScenario(drill(body), 'drill.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).problems.map((p) => p.path)).toEqual(['topology.sync', 'faults[0].then', 'faults[1].then', 'topology.images.inference']);
  });

  it('lets the reference server keep every drill', () => {
    const s = parseScenario(drill('topology: { sync: { interval: 1s } }\nfaults: [{ at: 1s, fault: deploy, target: primary }]\n'), 'drill.yaml');
    expect(s.topology.replicas).toBeUndefined();
  });
});
