// `drill setup`: what a project's drills need (Docker engine, Toxiproxy, base image; k6 and the images of gateway
// presets or model servers when a scenario uses them). `npm run setup` in failover-drill's own repository runs the
// same setup with all of those and its test tools.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { Command } from 'commander';
import { InfrastructureError } from '../errors';
import { setup } from '../setup/main';
import { ALL_PART_KINDS, setupNeeds } from '../setup/needs';

interface SetupFlags {
  k6?: boolean;
  allParts?: boolean;
  testTools?: boolean;
}

export function setupCommand(): Command {
  return new Command('setup')
    .description('make this machine able to run drills: Docker engine, Toxiproxy, base image, and k6 when a scenario uses it (idempotent; seconds when done before)')
    .argument('[scenarios...]', 'scenario files or directories to read for what they need (default: ./scenarios when it exists)')
    .option('--k6', 'build k6 even when no scenario uses load.driver: k6')
    .option('--all-parts', `build the images of every gateway preset and model server (${[...ALL_PART_KINDS.gateways, ...ALL_PART_KINDS.replicas].join(', ')}), not only those a scenario names`)
    .option('--test-tools', "also the tools failover-drill's own tests use (Chromium, the JUnit schema, actionlint, GitLab's CI schema)")
    .action(async (paths: string[], flags: SetupFlags) => {
      // A scenario that does not validate stops here with its file:line:col, as `drill run` would (exit 2).
      const read = paths.length > 0 ? paths : ['scenarios'].filter((dir) => existsSync(dir));
      const { usingK6, parts } = setupNeeds(read);
      if (usingK6.length > 0) console.log(`setup: k6 is needed by ${usingK6.map((f) => relative(process.cwd(), f)).join(', ')}`);
      try {
        await setup({ k6: flags.k6 === true || usingK6.length > 0, parts: flags.allParts === true ? ALL_PART_KINDS : parts, testTools: flags.testTools === true });
      } catch (cause) {
        throw new InfrastructureError(`setup failed: ${(cause as Error).message}`, { cause });
      }
    });
}
