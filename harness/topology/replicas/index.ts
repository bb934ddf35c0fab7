import type { ReplicaKind } from '../parts';
import { referenceReplica } from './reference';

/** Every model server a topology can run as its replicas, in one table. */
export const REPLICA_KINDS = {
  reference: referenceReplica,
} satisfies Record<string, ReplicaKind>;

export type ReplicaKindName = keyof typeof REPLICA_KINDS;
