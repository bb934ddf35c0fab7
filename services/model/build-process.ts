// A model build in a process of its own, so that its peak memory (getrusage's maxRSS) is the build's alone.
// As a program: `build-process DIR [OPTIONS_JSON]` builds with writeModelDir and prints one JSON line.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type BuildOptions, writeModelDir } from './build';

export interface BuildProcessResult {
  sha256: string;
  bytes: number;
  seconds: number;
  /** The build process's peak resident memory. */
  maxRssBytes: number;
}

/** Builds `dir` in a child process (this file run as a program) and returns what it measured. */
export async function buildInChildProcess(dir: string, options: BuildOptions = {}): Promise<BuildProcessResult> {
  // Under tsx (tests, bench) this file is TypeScript; compiled, it is plain JavaScript.
  const program = __filename.endsWith('.ts') ? ['--import', 'tsx', __filename] : [__filename];
  const { stdout } = await promisify(execFile)(process.execPath, [...program, dir, JSON.stringify(options)]);
  return JSON.parse(stdout) as BuildProcessResult;
}

async function main(dir: string, options: BuildOptions): Promise<void> {
  const started = performance.now();
  const manifest = await writeModelDir(dir, options);
  const result: BuildProcessResult = {
    sha256: manifest.sha256,
    bytes: manifest.bytes,
    seconds: (performance.now() - started) / 1000,
    // resourceUsage() reports maxRSS in KiB.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  const [dir, options] = process.argv.slice(2);
  if (!dir) throw new Error('usage: build-process DIR [OPTIONS_JSON]');
  void main(dir, JSON.parse(options ?? '{}') as BuildOptions);
}
