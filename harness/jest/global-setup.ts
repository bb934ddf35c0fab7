// jest `globalSetup: 'failover-drill/jest/global-setup'`: `drill setup` once per jest run, before any test file,
// for the scenarios in <rootDir>/scenarios (k6, and the images of gateway presets or model servers, only when one of
// them uses it). Setup is idempotent; on a prepared machine it takes a couple of seconds. It also makes a Ctrl-C or
// SIGTERM to jest remove the containers of the drills in progress (interrupt.ts).
// First: stops with why and the fix when testcontainers cannot load on this Node (undici-check.ts).
import '../undici-guard';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isInvalidInputError } from '../errors';
import { sweepOnSignal } from './interrupt';
import { setup } from '../setup/main';
import { setupNeeds, type SetupNeeds } from '../setup/needs';

/** jest passes its global and project configuration; only the project's rootDir is read. */
export default async function globalSetup(_globalConfig?: unknown, projectConfig?: { rootDir?: string }): Promise<void> {
  sweepOnSignal();
  const scenarios = join(projectConfig?.rootDir ?? process.cwd(), 'scenarios');
  let needs: SetupNeeds = setupNeeds([]);
  try {
    if (existsSync(scenarios)) needs = setupNeeds([scenarios]);
  } catch (e) {
    // The test that runs a broken scenario reports it, with its file:line:col; the rest of the suite still runs.
    if (!isInvalidInputError(e)) throw e;
  }
  await setup({ k6: needs.usingK6.length > 0, parts: needs.parts, testTools: false });
}
