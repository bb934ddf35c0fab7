import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { projectRoot } from '../paths';
import { ScenarioError } from '../scenario/load';
import { scenariosUsingK6 } from './needs';

describe('scenariosUsingK6', () => {
  it('names the scenarios whose load k6 sends, and only those', () => {
    expect(scenariosUsingK6([join(projectRoot, 'scenarios')]).map((f) => basename(f))).toEqual(['primary-crash-k6.yaml']);
    expect(scenariosUsingK6([])).toEqual([]);
  });

  it('refuses a scenario that does not validate, naming its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-needs-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), 'name: bad\ndescription: d\nload: { rate: 10, duration: 1s, driver: wrk }\nthresholds: []\n');
      expect(() => scenariosUsingK6([dir])).toThrow(ScenarioError);
      expect(() => scenariosUsingK6([dir])).toThrow(/bad\.yaml:3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
