// What a project's own drills need beyond the always-needed engine and images: k6, for scenarios that send their
// load with it, and the images of the gateway presets and third-party model servers they name. Read from the
// scenario files, validated as `drill run` validates them.
import { loadScenarios, type Scenario } from '../scenario/load';
import { GATEWAY_KIND_NAMES, type GatewayKindName, GATEWAY_KINDS } from '../topology/gateways';
import { REPLICA_KIND_NAMES, type ReplicaKindName, REPLICA_KINDS } from '../topology/replicas';

/** Part kinds that bring an image of their own (the reference gateway and server run the service images). */
export interface PartKinds {
  gateways: GatewayKindName[];
  replicas: ReplicaKindName[];
}

/** Every part kind with an image of its own: what this repository's tests drill. */
export const ALL_PART_KINDS: PartKinds = {
  gateways: GATEWAY_KIND_NAMES.filter((k) => 'image' in GATEWAY_KINDS[k]),
  replicas: REPLICA_KIND_NAMES.filter((k) => 'image' in REPLICA_KINDS[k]),
};

export interface SetupNeeds {
  /** The scenario files whose load k6 sends (`load.driver: k6`). */
  usingK6: string[];
  /** The part kinds with an image of their own that the scenarios name. */
  parts: PartKinds;
}

const NOTHING: SetupNeeds = { usingK6: [], parts: { gateways: [], replicas: [] } };

/** What the scenario files under `paths` (files or directories) need. */
export function setupNeeds(paths: readonly string[]): SetupNeeds {
  if (paths.length === 0) return NOTHING;
  const scenarios = loadScenarios(paths);
  const named = <K extends string>(all: readonly K[], pick: (s: Scenario) => unknown): K[] =>
    all.filter((kind) => scenarios.some((s) => pick(s) === kind));
  return {
    usingK6: scenarios.filter((s) => s.load.driver === 'k6').map((s) => s.file),
    parts: {
      gateways: named(ALL_PART_KINDS.gateways, (s) => s.topology.gateway),
      replicas: named(ALL_PART_KINDS.replicas, (s) => s.topology.replicas),
    },
  };
}
