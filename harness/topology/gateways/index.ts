import type { GatewayKind } from '../parts';
import { referenceGateway } from './reference';

/** Every gateway a topology can put in front of its replicas, in one table. */
export const GATEWAY_KINDS = {
  reference: referenceGateway,
} satisfies Record<string, GatewayKind>;

export type GatewayKindName = keyof typeof GATEWAY_KINDS;
