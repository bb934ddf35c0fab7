// nginx from Debian's package, configured by templates/nginx.conf (each setting commented there).
import { join } from 'node:path';
import type { GatewayKind } from '../parts';
import { projectRoot } from '../../paths';
import { configuredGateway, type ConfiguredGatewaySpec } from './configured';

/** The preset as data: also what the long form of topology.gateway says to get the same gateway. */
export const NGINX_CONFIG = {
  config: join(projectRoot, 'harness', 'topology', 'gateways', 'templates', 'nginx.conf'),
  configPath: '/etc/nginx/drill.conf',
  command: ['nginx', '-c', '/etc/nginx/drill.conf'],
  port: 8080,
  health: '/healthz',
  servedBy: { header: 'x-upstream', primary: ':{{primaryPort}}', standby: ':{{standbyPort}}' },
} satisfies ConfiguredGatewaySpec;

export const nginxGateway = {
  ...configuredGateway('nginx 1.22 (Debian): backup server, retry of a failed POST on the other replica, passive failure detection only', NGINX_CONFIG),
  image: {
    name: 'nginx',
    dockerfile: (base) => `FROM ${base}\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*\n`,
  },
} satisfies GatewayKind;
