// nginx from Debian's package, configured by templates/nginx.conf (each setting commented there).
import { join } from 'node:path';
import type { GatewayKind } from '../parts';
import { projectRoot } from '../../paths';
import { configuredGateway } from './configured';

export const nginxGateway = {
  ...configuredGateway('nginx 1.22 (Debian): backup server, retry of a failed POST on the other replica, passive failure detection only', {
    config: join(projectRoot, 'harness', 'topology', 'gateways', 'templates', 'nginx.conf'),
    configPath: '/etc/nginx/drill.conf',
    command: ['nginx', '-c', '/etc/nginx/drill.conf'],
    port: 8080,
    health: '/healthz',
    servedBy: { header: 'x-upstream', primary: ':{{primaryPort}}', standby: ':{{standbyPort}}' },
  }),
  image: {
    name: 'nginx',
    dockerfile: (base) => `FROM ${base}\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*\n`,
  },
} satisfies GatewayKind;
