// A shell kept open in a container over one `docker exec`: each command after the first costs a write and a read on
// that exec's stream, not an exec of its own. Measured on the 2-core runner: an exec (runc starting a process in the
// container's namespaces) costs ~80 ms of CPU, a command through the open shell ~3 ms. A fault that installs files
// while the load runs would otherwise spend those 80 ms of CPU inside the window it measures.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { InfrastructureError } from '../errors';

export interface ShellResult {
  exitCode: number;
  /** stdout and stderr, interleaved as the command wrote them. */
  output: string;
}

export class ContainerShell {
  private text = '';
  private ended: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Called when text arrives or the stream ends, while a command waits for its end marker. */
  private wake: (() => void) | undefined;
  /** Ends each command's output: random, so no output can forge it. */
  private readonly marker = `failover-drill-${randomBytes(8).toString('hex')}`;

  private constructor(
    private readonly stream: Socket,
    modem: Dockerode.Container['modem'],
    private readonly label: string,
  ) {
    const output = new PassThrough();
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.text += chunk;
      this.wake?.();
    });
    // With no TTY, Docker multiplexes stdout and stderr on the stream in frames; docker-modem takes them apart.
    modem.demuxStream(stream, output, output);
    const end = (why: string): void => {
      this.ended ??= new InfrastructureError(`the shell in ${label} ended (${why}): was the container stopped or restarted?`);
      this.wake?.();
    };
    stream.on('end', () => end('its stream ended'));
    stream.on('close', () => end('its stream closed'));
    stream.on('error', (e: Error) => end(e.message));
    // An open shell must not keep the harness alive; the container's removal ends it.
    stream.unref();
  }

  /** Starts `sh` in the container as `user`, its stdin kept open for commands. */
  static async open(container: Dockerode.Container, label: string, user = 'root'): Promise<ContainerShell> {
    const exec = await container.exec({ Cmd: ['sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true, User: user });
    // A hijacked exec is the HTTP connection itself, upgraded (docker-modem hands over its socket).
    const stream = (await exec.start({ hijack: true, stdin: true })) as Socket;
    return new ContainerShell(stream, container.modem, label);
  }

  /** Whether the shell has gone (the container stopped or restarted): open another. */
  get closed(): boolean {
    return this.ended !== undefined;
  }

  /** Runs `script` with `sh -c` (so `set -e` or `exit` in it ends only it), one command at a time. */
  run(script: string, timeoutMs: number): Promise<ShellResult> {
    const result = this.queue.then(() => this.runNow(script, timeoutMs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Ends the shell (it exits when its stdin closes). */
  close(): void {
    this.ended ??= new InfrastructureError(`the shell in ${this.label} was closed`);
    this.stream.end();
    this.stream.destroy();
  }

  private async runNow(script: string, timeoutMs: number): Promise<ShellResult> {
    if (this.ended) throw this.ended;
    this.text = '';
    const quoted = `'${script.replaceAll("'", "'\\''")}'`;
    // The marker starts a line of its own whatever the output's last line was.
    this.stream.write(`sh -c ${quoted} 2>&1; printf '\\n${this.marker} %d\\n' $?\n`);
    const done = new RegExp(`\\n${this.marker} (\\d+)\\n`);
    const deadline = setTimeout(() => {
      this.ended ??= new InfrastructureError(`the shell in ${this.label} did not finish \`${script.slice(0, 80)}\` within ${timeoutMs} ms`);
      this.close();
    }, timeoutMs);
    try {
      for (;;) {
        const match = done.exec(this.text);
        if (match) return { exitCode: Number(match[1]), output: this.text.slice(0, match.index) };
        if (this.ended) throw this.ended;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.wake = undefined;
      clearTimeout(deadline);
    }
  }
}
