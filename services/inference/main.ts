// `inference` command: runs the inference service until SIGTERM/SIGINT. Also a standalone entry point
// (bundled into the container image).
import { Command } from 'commander';
import { closeOnSignals, errorMessage, jsonLineLog, type Log, runServiceProcess } from '../common/cli';
import { addSettings, settingsFrom } from '../common/settings';
import { ADMIN_TOKEN_ENV } from './admin';
import { INFERENCE_SETTINGS } from './options';
import { type InferenceServer, startInferenceServer } from './server';

export function inferenceCommand(): Command {
  const command = new Command('inference').description(
    `serve the ranking model over HTTP (POST /v1/rank, GET /healthz, /readyz, /v1/model, /v1/model/weights, /metrics); ` +
      `SIGHUP reloads the model directory, and so does POST /admin/reload when ${ADMIN_TOKEN_ENV} is set`,
  );
  return addSettings(command, INFERENCE_SETTINGS).action(async () => {
    const settings = settingsFrom(INFERENCE_SETTINGS, command.opts());
    const name = settings.name ?? settings.role;
    const log = jsonLineLog({ service: 'inference', name, role: settings.role });
    const adminToken = process.env[ADMIN_TOKEN_ENV] || undefined;
    const server = await startInferenceServer({ ...settings, name, log, adminToken });
    const readiness = server.readiness();
    log('listening', { port: server.port, ready: readiness.ready, ...(readiness.ready ? {} : { reason: readiness.reason.code }) });
    closeOnSignals(server, log);
    reloadOnSighup(server, log);
  });
}

/** The outcome is logged by the server; a refused reload must not end the process. */
function reloadOnSighup(server: InferenceServer, log: Log): void {
  process.on('SIGHUP', () => {
    log('reloading', { signal: 'SIGHUP' });
    server.reload().catch((e: unknown) => log('reload failed', { level: 'error', error: errorMessage(e) }));
  });
}

if (require.main === module) runServiceProcess(inferenceCommand(), jsonLineLog({ service: 'inference' }));
