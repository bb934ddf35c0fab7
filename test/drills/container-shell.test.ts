// The shell a replica keeps open for model installs: commands through one exec, each with its own exit code and
// output, and a clear error once the container's restart has ended it.
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { prepare } from '../../harness/prepare';
import { ContainerShell } from '../../harness/topology/container-shell';
import { runLabels } from '../../harness/topology/labels';

let container: StartedTestContainer;
let shell: ContainerShell;

beforeAll(async () => {
  const { images } = await prepare();
  container = await new GenericContainer(images.inference).withEntrypoint(['sleep', 'infinity']).withLabels(runLabels('container-shell-test')).start();
  const dockerode = (await getContainerRuntimeClient()).container.dockerode;
  shell = await ContainerShell.open(dockerode.getContainer(container.getId()), 'the test container');
}, 60_000);

afterAll(async () => {
  shell?.close();
  await container?.stop({ timeout: 0 });
});

test('runs one command after another, each with its own output and exit code, as root', async () => {
  expect(await shell.run('id -u; echo to-stderr >&2', 5000)).toEqual({ exitCode: 0, output: '0\nto-stderr\n' });
  // set -e and exit end the command, not the shell; output without a final newline keeps its last line.
  expect(await shell.run("set -e; printf 'no newline'; false; echo not-reached", 5000)).toEqual({ exitCode: 1, output: 'no newline' });
  expect(await shell.run("echo 'single quotes' \"and double\"; exit 7", 5000)).toEqual({ exitCode: 7, output: 'single quotes and double\n' });
  // Commands queued at once run in order, each after the one before has finished.
  const results = await Promise.all([1, 2, 3].map((n) => shell.run(`sleep 0.0${4 - n}; echo ${n}`, 5000)));
  expect(results.map((r) => r.output)).toEqual(['1\n', '2\n', '3\n']);
  expect(shell.closed).toBe(false);
});

test('a command past its time closes the shell with an error that says so', async () => {
  const dockerode = (await getContainerRuntimeClient()).container.dockerode;
  const slow = await ContainerShell.open(dockerode.getContainer(container.getId()), 'the test container');
  await expect(slow.run('sleep 5', 300)).rejects.toThrow(/the shell in the test container did not finish `sleep 5` within 300 ms/);
  expect(slow.closed).toBe(true);
  await expect(slow.run('true', 1000)).rejects.toThrow(/did not finish/);
});

test("a restart of the container ends the shell: the next command fails with why, and the shell says it is closed", async () => {
  await container.restart({ timeout: 0 });
  await expect(shell.run('true', 5000)).rejects.toThrow(/the shell in the test container ended .*was the container stopped or restarted\?/);
  expect(shell.closed).toBe(true);
}, 30_000);
