// `drill setup`: what `npm run setup` does, for a project that installed failover-drill rather than cloned it.
import { Command } from 'commander';
import { InfrastructureError } from '../errors';
import { setup } from '../setup/main';

export function setupCommand(): Command {
  return new Command('setup')
    .description('make this machine able to run drills: Docker engine, Toxiproxy, base image, k6, actionlint (idempotent; seconds when done before)')
    .action(async () => {
      try {
        await setup();
      } catch (cause) {
        throw new InfrastructureError(`setup failed: ${(cause as Error).message}`, { cause });
      }
    });
}
