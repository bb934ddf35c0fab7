// Caddy built from its Go module into a FROM scratch image, configured by templates/Caddyfile (each setting
// commented there).
import { join } from 'node:path';
import type { GatewayKind } from '../parts';
import { projectRoot } from '../../paths';
import { configuredGateway } from './configured';

const MODULE = 'github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9';

export const caddyGateway = {
  ...configuredGateway('Caddy 2.11: first-available upstream, retry of a failed POST, active /readyz checks and passive detection', {
    config: join(projectRoot, 'harness', 'topology', 'gateways', 'templates', 'Caddyfile'),
    configPath: '/etc/caddy/Caddyfile',
    command: ['run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
    port: 8080,
    health: '/healthz',
    servedBy: { header: 'x-upstream', primary: '{{primaryHost}}:{{primaryPort}}', standby: '{{standbyHost}}:{{standbyPort}}' },
  }),
  image: {
    name: 'caddy',
    // Caddy writes its state under HOME / XDG dirs even with auto_https off; scratch has no writable dir but /tmp.
    dockerfile: () => ['FROM scratch', 'COPY caddy /caddy', 'COPY tmp /tmp', 'ENV HOME=/tmp XDG_DATA_HOME=/tmp XDG_CONFIG_HOME=/tmp', 'ENTRYPOINT ["/caddy"]', ''].join('\n'),
    goModule: MODULE,
  },
} satisfies GatewayKind;
