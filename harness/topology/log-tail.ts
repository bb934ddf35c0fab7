import type { StartedTestContainer } from 'testcontainers';

/** How long reading a container's output may take before the lines read so far are returned. */
const LOG_READ_MS = 1000;

/** The last `lines` lines a container wrote (stdout and stderr), each without its line ending. */
export async function logTail(container: StartedTestContainer, lines: number): Promise<string[]> {
  const logs = await container.logs({ tail: lines });
  return new Promise<string[]>((resolve) => {
    const read: string[] = [];
    logs.on('data', (line: string | Buffer) => read.push(String(line).trimEnd()));
    logs.on('end', () => resolve(read));
    logs.on('error', () => resolve(read));
    setTimeout(() => resolve(read), LOG_READ_MS);
  });
}
