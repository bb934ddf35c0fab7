// The drills at size (scenarios/large/, `npm run drills:large`) run outside the gate, so nothing else would
// notice them stop validating: each must load, name a model of at least 512 MB, and give every threshold of its
// own the measurement and margin it comes from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIZE_PRESETS, weightBytes } from '../../services/model/shape';
import { projectRoot } from '../paths';
import { loadScenarios } from './load';

const dir = join(projectRoot, 'scenarios', 'large');

it('validates, names a model of at least 512 MB and says where each size-dependent threshold comes from', () => {
  const scenarios = loadScenarios([dir]);
  expect(scenarios.map((s) => s.name).sort()).toEqual(['large-bad-deploy-reload', 'large-corrupted-weights-restart', 'large-primary-restart', 'large-sync-bandwidth', 'large-sync-corruption']);
  for (const s of scenarios) {
    const model = s.topology.model;
    if (typeof model !== 'object') throw new Error(`${s.file}: topology.model must name a size`);
    expect(weightBytes(SIZE_PRESETS[model.size]!)).toBeGreaterThanOrEqual(512 * 2 ** 20);
    const text = readFileSync(s.file, 'utf8');
    for (const line of text.split('\n').filter((l) => /metric: (failbackMs|p99Ms)/.test(l))) expect(line).toMatch(/#.*measured.*\+/);
  }
});
