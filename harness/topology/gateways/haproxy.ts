// HAProxy from Debian's package, configured by templates/haproxy.cfg (each setting commented there).
import { join } from 'node:path';
import type { GatewayKind } from '../parts';
import { projectRoot } from '../../paths';
import { configuredGateway } from './configured';

export const haproxyGateway = {
  ...configuredGateway('HAProxy 2.6 (Debian): backup server, layer-7 retries with redispatch, active /readyz checks and passive detection', {
    config: join(projectRoot, 'harness', 'topology', 'gateways', 'templates', 'haproxy.cfg'),
    configPath: '/etc/haproxy/drill.cfg',
    command: ['haproxy', '-W', '-db', '-f', '/etc/haproxy/drill.cfg'],
    port: 8080,
    health: '/healthz',
    servedBy: { header: 'x-served-by', primary: 'primary', standby: 'standby' },
  }),
  image: {
    name: 'haproxy',
    dockerfile: (base) => `FROM ${base}\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*\n`,
  },
} satisfies GatewayKind;
