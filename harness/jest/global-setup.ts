// jest `globalSetup: 'failover-drill/jest/global-setup'`: `drill setup` once per jest run, before any test file.
// Setup is idempotent; on a prepared machine it takes a couple of seconds.
import { setup } from '../setup/main';

export default async function globalSetup(): Promise<void> {
  await setup();
}
