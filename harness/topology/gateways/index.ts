import type { GatewayKind } from '../parts';
import { caddyGateway } from './caddy';
import { haproxyGateway } from './haproxy';
import { nginxGateway } from './nginx';
import { referenceGateway } from './reference';

/** Every gateway a topology can put in front of its replicas, in one table. */
export const GATEWAY_KINDS = {
  reference: referenceGateway,
  nginx: nginxGateway,
  haproxy: haproxyGateway,
  caddy: caddyGateway,
} satisfies Record<string, GatewayKind>;

export type GatewayKindName = keyof typeof GATEWAY_KINDS;
export const GATEWAY_KIND_NAMES = Object.keys(GATEWAY_KINDS) as GatewayKindName[];
