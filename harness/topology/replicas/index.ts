import type { ReplicaKind } from '../parts';
import { kserveReplica } from './kserve';
import { referenceReplica } from './reference';

/** Every model server a topology can run as its replicas, in one table. */
export const REPLICA_KINDS = {
  reference: referenceReplica,
  kserve: kserveReplica,
} satisfies Record<string, ReplicaKind>;

export type ReplicaKindName = keyof typeof REPLICA_KINDS;
export const REPLICA_KIND_NAMES = Object.keys(REPLICA_KINDS) as ReplicaKindName[];
