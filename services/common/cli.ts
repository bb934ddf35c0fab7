// What the services' entry points share: flag parsers (commander puts the flag and value before their sentence),
// JSON-lines logging, and the process around a command (exit codes, stopping on signals).
import { type Command, CommanderError, InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max` (unbounded above unless given). */
export function parseInteger(min: number, max?: number): (value: string) => number {
  const range = max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > (max ?? Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError(`It must be ${range}.`);
    return n;
  };
}

export const parsePort = parseInteger(0, 65535);

/** An http(s) URL; a path is kept (the caller appends its own below it). */
export function parseHttpUrl(value: string): string {
  httpUrl(value);
  return value;
}

/** An http(s) origin without path or query: the gateway appends the replica's own paths. */
export function parseOrigin(value: string): string {
  const url = httpUrl(value);
  if (url.pathname !== '/' || url.search || url.hash) throw new InvalidArgumentError(`It must be an origin without a path or query, such as ${url.origin}.`);
  return url.origin;
}

function httpUrl(value: string): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new InvalidArgumentError('It must be an http:// or https:// URL, such as http://primary:8080.');
  return url;
}

/** Comma-separated sha256 values, lower-cased. */
export function parseShaList(value: string): readonly string[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  const bad = list.find((s) => !/^[0-9a-f]{64}$/.test(s));
  if (bad !== undefined) throw new InvalidArgumentError(`It must be sha256 values (64 hex digits) separated by commas; "${bad}" is not one.`);
  return list;
}

/** One log line; `fields.level` is info unless given. */
export type Log = (msg: string, fields?: Record<string, unknown>) => void;

/** Services log one JSON object per line on stdout, so drill reports can quote and filter them. */
export function jsonLineLog(base: Record<string, unknown>, write: (line: string) => void = (l) => process.stdout.write(l)): Log {
  return (msg, fields = {}) => write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', ...base, msg, ...fields })}\n`);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a service's command as the process. Exit codes follow the `drill` CLI: 2 for invalid flags (commander has
 * said why on stderr), 3 when the service cannot start (e.g. the port is taken).
 */
export function runServiceProcess(command: Command, log: Log): void {
  command
    .exitOverride()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
      log('failed to start', { level: 'error', error: errorMessage(e) });
      process.exit(3);
    });
}

/** SIGTERM or SIGINT closes the service, letting requests in flight finish: exit 0, or 1 if closing failed. */
export function closeOnSignals(service: { close(): Promise<void> }, log: Log): void {
  const stop = (signal: NodeJS.Signals) => {
    log('stopping', { signal });
    service.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log('did not close cleanly', { level: 'error', error: errorMessage(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
