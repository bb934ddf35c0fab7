import { remoteDockerHost, testcontainersEnvFor } from './state';

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
