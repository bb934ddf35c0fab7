// `inference` command: runs the inference service until SIGTERM/SIGINT. Also a standalone entry point
// (bundled into the container image).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Role } from '../common/contract';
import { ADMIN_TOKEN_ENV } from './admin';
import { jsonLineLog } from './log';
import { BAD_RELOAD_POLICIES, type BadReloadPolicy } from './model-manager';
import { startInferenceServer } from './server';

const ROLES: readonly Role[] = ['primary', 'standby'];

interface InferenceCliOptions {
  model: string;
  port: number;
  host: string;
  role: Role;
  name?: string;
  onBadReload: BadReloadPolicy;
  syncFrom?: string;
  syncIntervalMs: number;
  verify: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`Expected an integer port in 0..65535.`);
  return port;
}

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 10) throw new InvalidArgumentError('Expected an integer number of milliseconds, at least 10.');
  return ms;
}

function parseUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new InvalidArgumentError('Expected an http:// or https:// URL.');
  return value;
}

export function inferenceCommand(): Command {
  return new Command('inference')
    .description(
      `serve the ranking model over HTTP (POST /v1/rank, GET /healthz, /readyz, /v1/model, /v1/model/weights, /metrics); ` +
        `SIGHUP reloads the model directory, and so does POST /admin/reload when ${ADMIN_TOKEN_ENV} is set`,
    )
    .requiredOption('--model <dir>', 'model directory holding model.onnx and manifest.json')
    .addOption(new Option('--port <n>', 'port to listen on').default(8080).argParser(parsePort))
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .addOption(new Option('--role <role>', 'replica role').choices(ROLES).default('primary'))
    .option('--name <name>', 'replica name reported in responses (default: the role)')
    .addOption(
      new Option('--on-bad-reload <policy>', 'when a reload finds bad weights: keep serving the last good model, or stop serving')
        .choices(BAD_RELOAD_POLICIES)
        .default('keep-last-good'),
    )
    .addOption(new Option('--sync-from <url>', "hot backup: keep the primary's verified model, e.g. http://primary:8080").argParser(parseUrl))
    .addOption(new Option('--sync-interval-ms <ms>', 'how often the hot backup polls the primary').default(1000).argParser(parseInterval))
    .option('--no-verify', 'serve whatever is on disk without checksum or probe checks (negative control for drills)')
    .action(async (opts: InferenceCliOptions) => {
      const name = opts.name ?? opts.role;
      const log = jsonLineLog({ service: 'inference', name, role: opts.role });
      const adminToken = process.env[ADMIN_TOKEN_ENV] || undefined;
      const server = await startInferenceServer({
        modelDir: opts.model,
        port: opts.port,
        host: opts.host,
        role: opts.role,
        name,
        log,
        onBadReload: opts.onBadReload,
        verify: opts.verify,
        ...(adminToken ? { adminToken } : {}),
        ...(opts.syncFrom ? { syncFrom: opts.syncFrom, syncIntervalMs: opts.syncIntervalMs } : {}),
      });
      const readiness = server.readiness();
      log('listening', { port: server.port, ready: readiness.ready, ...(readiness.ready ? {} : { reason: readiness.reason.code }) });
      const stop = (signal: NodeJS.Signals) => {
        log('stopping', { signal });
        server.close().then(
          () => process.exit(0),
          (e: unknown) => {
            log('error while stopping', { level: 'error', error: String(e) });
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      // The outcome is logged by the server; a refused reload must not end the process.
      process.on('SIGHUP', () => {
        log('reloading', { signal: 'SIGHUP' });
        server.reload().catch((e: unknown) => log('reload failed', { level: 'error', error: String(e) }));
      });
    });
}

// Exit codes follow the `drill` CLI: 2 for invalid input, 3 for an infrastructure error (e.g. port in use).
if (require.main === module) {
  inferenceCommand()
    .exitOverride()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
      process.stderr.write(`inference: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(3);
    });
}
