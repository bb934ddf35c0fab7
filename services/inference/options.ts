// The model server's settings: flags of `drill serve inference`, options of startInferenceServer and the README table.
import type { Role } from '../common/contract';
import { parseHttpUrl, parseInteger, parsePort } from '../common/cli';
import { setting, type Settings } from '../common/settings';
import { BAD_RELOAD_POLICIES } from './model-manager';

const ROLES: readonly Role[] = ['primary', 'standby'];

export const INFERENCE_SETTINGS = {
  modelDir: setting.required('--model <dir>', 'model directory holding model.onnx and manifest.json', String),
  port: setting.withDefault('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8080),
  host: setting.withDefault('--host <host>', 'address to listen on', String, '0.0.0.0'),
  role: setting.oneOf('--role <role>', 'replica role', ROLES, 'primary'),
  name: setting.optional('--name <name>', 'replica name reported in responses', String, 'the role'),
  onBadReload: setting.oneOf(
    '--on-bad-reload <policy>',
    'when a reload finds bad weights: keep serving the last good model, or stop serving',
    BAD_RELOAD_POLICIES,
    'keep-last-good',
  ),
  syncFrom: setting.optional(
    '--sync-from <url>',
    "hot backup: keep the primary's verified model, e.g. http://primary:8080 (only weights that pass checksum, load and probes are adopted)",
    parseHttpUrl,
    'off',
  ),
  syncIntervalMs: setting.withDefault('--sync-interval-ms <ms>', 'how often the hot backup polls the primary', parseInteger(10), 1000),
  verify: setting.switchOff('--no-verify', 'serve whatever is on disk without checksum or probe checks (negative control for drills)'),
} satisfies Settings;
