import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../paths';
import { buildDir, cacheDir, remoteDockerHost, testcontainersEnvFor } from './state';

const offline = { testcontainersEnv: { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost' } };

describe('testcontainersEnvFor', () => {
  it('keeps setup\'s settings for the local engine', () => {
    expect(testcontainersEnvFor(offline, {})).toEqual(offline.testcontainersEnv);
    expect(testcontainersEnvFor(offline, { DOCKER_HOST: 'unix:///var/run/docker.sock' })).toEqual(offline.testcontainersEnv);
  });

  it('drops the localhost override for a remote engine: its ports are published on its own host', () => {
    for (const host of ['tcp://10.99.0.2:2375', 'TCP://build-host:2376', 'https://build-host:2376', 'http://10.0.0.5:2375']) {
      expect(testcontainersEnvFor(offline, { DOCKER_HOST: host })).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'true' });
    }
  });

  it('does not change the state it was given', () => {
    testcontainersEnvFor(offline, { DOCKER_HOST: 'tcp://10.99.0.2:2375' });
    expect(offline.testcontainersEnv.TESTCONTAINERS_HOST_OVERRIDE).toBe('localhost');
  });
});

describe('remoteDockerHost', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['unix:///run/docker.sock', false],
    ['tcp://127.0.0.1:23750', true],
    ['tcp://10.99.0.2:2375', true],
    ['https://build-host:2376', true],
  ])('%s -> %s', (host, remote) => expect(remoteDockerHost(host)).toBe(remote));
});

describe('cacheDir and buildDir', () => {
  const saved = { FAILOVER_DRILL_CACHE: process.env.FAILOVER_DRILL_CACHE, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  let scratch: string;
  beforeEach(() => { scratch = mkdtempSync(join(tmpdir(), 'drill-cache-')); });
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('takes FAILOVER_DRILL_CACHE, else XDG_CACHE_HOME/failover-drill, else ~/.cache/failover-drill; builds go under build/', () => {
    process.env.FAILOVER_DRILL_CACHE = join(scratch, 'mine');
    process.env.XDG_CACHE_HOME = join(scratch, 'xdg');
    expect(buildDir('models')).toBe(join(scratch, 'mine', 'build', 'models'));
    delete process.env.FAILOVER_DRILL_CACHE;
    expect(cacheDir()).toBe(join(scratch, 'xdg', 'failover-drill'));
    delete process.env.XDG_CACHE_HOME;
    expect(buildDir('images', 'inference')).toBe(join(homedir(), '.cache', 'failover-drill', 'build', 'images', 'inference'));
  });

  it('never puts builds inside the package, where an installed copy lives in node_modules', () => {
    expect(buildDir('models').startsWith(projectRoot)).toBe(false);
  });
});
