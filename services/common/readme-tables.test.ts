import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFERENCE_SETTINGS } from '../inference/options';
import { ROUTER_SETTINGS } from '../router/options';
import { markdownTable, type Settings } from './settings';

// On a failure jest prints the table README.md is to hold ("Expected substring"): paste it over the old one.
it.each<[string, Settings]>([
  ['model server', INFERENCE_SETTINGS],
  ['gateway', ROUTER_SETTINGS],
])("README.md holds the %s's flag table as its settings declare it", (_service, settings) => {
  expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain(markdownTable(settings));
});
