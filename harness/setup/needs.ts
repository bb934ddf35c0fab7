// What a project's own drills need beyond the always-needed engine and images: k6, only for scenarios that send
// their load with it. Read from the scenario files, validated as `drill run` validates them.
import { loadScenarios } from '../scenario/load';

/** The scenario files under `paths` (files or directories) whose load is sent by k6 (`load.driver: k6`). */
export function scenariosUsingK6(paths: readonly string[]): string[] {
  if (paths.length === 0) return [];
  return loadScenarios(paths).filter((s) => s.load.driver === 'k6').map((s) => s.file);
}
