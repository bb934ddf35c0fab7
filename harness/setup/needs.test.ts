import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { projectRoot } from '../paths';
import { ScenarioError } from '../scenario/load';
import { ALL_PART_KINDS, setupNeeds } from './needs';

const inDir = <T>(files: Record<string, string>, body: (dir: string) => T): T => {
  const dir = mkdtempSync(join(tmpdir(), 'drill-needs-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const drill = (name: string, topology: string): string =>
  `name: ${name}\ndescription: d\nload: { rate: 10, duration: 1s }\n${topology}thresholds: [{ metric: errors, max: 0 }]\n`;

describe('setupNeeds', () => {
  it('names the scenarios whose load k6 sends, and only those', () => {
    expect(setupNeeds([join(projectRoot, 'scenarios')]).usingK6.map((f) => basename(f))).toEqual(['primary-crash-k6.yaml']);
    expect(setupNeeds([]).usingK6).toEqual([]);
  });

  it('names the gateway presets and model servers with images of their own that the scenarios use, and only those', () => {
    // The built-in drills use the reference parts only: setup builds nothing more for them.
    expect(setupNeeds([join(projectRoot, 'scenarios')]).parts).toEqual({ gateways: [], replicas: [] });
    const files = {
      'a.yaml': drill('a', 'topology: { gateway: haproxy }\n'),
      'b.yaml': drill('b', 'topology: { gateway: caddy, replicas: kserve, protocol: oip-v2 }\n'),
      'c.yaml': drill('c', 'topology: { gateway: reference }\n'),
    };
    expect(inDir(files, (dir) => setupNeeds([dir]).parts)).toEqual({ gateways: ['haproxy', 'caddy'], replicas: ['kserve'] });
  });

  it('knows every part kind with an image of its own, which `npm run setup` builds for the repository tests', () => {
    expect(ALL_PART_KINDS).toEqual({ gateways: ['nginx', 'haproxy', 'caddy'], replicas: ['kserve'] });
  });

  it('refuses a scenario that does not validate, naming its file', () => {
    inDir({ 'bad.yaml': 'name: bad\ndescription: d\nload: { rate: 10, duration: 1s, driver: wrk }\nthresholds: []\n' }, (dir) => {
      expect(() => setupNeeds([dir])).toThrow(ScenarioError);
      expect(() => setupNeeds([dir])).toThrow(/bad\.yaml:3/);
    });
  });
});
