import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths';
import { renderScenarioJsonSchema } from './json-schema';

it('scenarios/schema.json is up to date with the zod schema (regenerate: drill schema > scenarios/schema.json)', () => {
  expect(readFileSync(join(projectRoot, 'scenarios', 'schema.json'), 'utf8')).toBe(renderScenarioJsonSchema());
});
