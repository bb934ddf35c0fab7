import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError } from '../errors';

/** What `drill setup` (`npm run setup` in this repository) found or built on this machine; read by the CLI and the test suite. */
export interface SetupState {
  /** Image our service Dockerfiles build FROM (the official Node image, or the offline-built one). */
  baseImage: string;
  toxiproxyImage: string;
  /** Environment Testcontainers needs on this machine; empty when registries are reachable. */
  testcontainersEnv: Record<string, string>;
  /** The k6 binary for `load.driver: k6`. */
  k6?: string;
  writtenAt: string;
}

export const TOXIPROXY_IMAGE = 'ghcr.io/shopify/toxiproxy:2.12.0';
export const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0';
export const K6_MODULE = 'go.k6.io/k6@v1.8.1';
export const OFFICIAL_BASE_IMAGE = `node:${process.versions.node.split('.')[0]}-bookworm-slim`;

export const CHROMIUM = '/usr/bin/chromium';
/** Where setup gets the published JUnit schema from: a file of a package's source distribution. */
export const JUNIT_SCHEMA_SOURCE = { pypi: 'pytest==8.3.5', path: 'testing/example_scripts/junit-10.xsd' } as const;
export const junitSchemaPath = (): string => join(cacheDir(), 'junit-10.xsd');

/** Where setup's state and tools live: $FAILOVER_DRILL_CACHE, else $XDG_CACHE_HOME/failover-drill, else ~/.cache/failover-drill. */
export function cacheDir(): string {
  const dir = process.env.FAILOVER_DRILL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'failover-drill');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * What the harness builds from the package's own inputs (the reference models, service images' build contexts).
 * In the user's cache, not in the package: an installed package's directory belongs to npm (`npm ci` deletes it,
 * it may be read-only), and the contents depend only on the package, so projects on one machine share them.
 */
export const buildDir = (...parts: string[]): string => join(cacheDir(), 'build', ...parts);

const stateFile = (): string => join(cacheDir(), 'setup.json');

export function writeSetupState(state: SetupState): string {
  const file = stateFile();
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
  return file;
}

export function readSetupState(): SetupState {
  const file = stateFile();
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SetupState;
  } catch (cause) {
    throw new InfrastructureError(`no setup state at ${file}: run \`npx drill setup\` first (it starts Docker and prepares the images)`, { cause });
  }
}

/** True when DOCKER_HOST names an engine reached over the network (tcp://, http://, https://), not a local socket. */
export function remoteDockerHost(dockerHost: string | undefined): boolean {
  return dockerHost !== undefined && /^(tcp|https?):\/\//i.test(dockerHost.trim());
}

/**
 * The Testcontainers settings setup chose, for this environment. Setup probed the local engine: its
 * TESTCONTAINERS_HOST_OVERRIDE=localhost is where that engine publishes ports. With DOCKER_HOST naming a remote
 * engine, ports are published on that engine's host, which Testcontainers takes from DOCKER_HOST by itself, so
 * the override is left out (a user's own TESTCONTAINERS_HOST_OVERRIDE still wins).
 */
export function testcontainersEnvFor(state: Pick<SetupState, 'testcontainersEnv'>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const chosen = { ...state.testcontainersEnv };
  if (remoteDockerHost(env.DOCKER_HOST)) delete chosen.TESTCONTAINERS_HOST_OVERRIDE;
  return chosen;
}

/**
 * Applies the Testcontainers settings setup chose (reaper off, host override) unless the user set them.
 * Must run before Testcontainers first talks to Docker.
 */
export function applyTestcontainersEnv(state: Pick<SetupState, 'testcontainersEnv'> = readSetupState()): void {
  for (const [key, value] of Object.entries(testcontainersEnvFor(state))) process.env[key] ??= value;
}
