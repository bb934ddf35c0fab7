// Can the testcontainers this package loads run on this Node? testcontainers >= 12.0.2 depends on undici 8, whose
// engines field says node >= 22.19; on an older Node it fails at import (`createZstdDecompress.bind` of undefined),
// which tells a user nothing. npm `overrides` in the user's own package.json pin undici to 7 for it (a package
// cannot set them for the project that installs it): `drill init` writes them, `npm dedupe` applies them to an
// installed tree (a plain `npm install` keeps the undici package-lock.json has: npm/cli#8986), and every entry point that loads
// testcontainers (the CLI, the API, failover-drill/jest) asks this module first and stops with what to do.
// Node built-ins only: it must run before anything that imports testcontainers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The first Node undici 8 supports (its engines field). */
export const UNDICI_8_MIN_NODE = '22.19.0';
/** The `overrides` range `drill init` writes on an older Node; the same as this repository's own package.json. */
export const UNDICI_OVERRIDE_RANGE = '^7.30.2';

const numbers = (version: string): number[] => version.replace(/^v/, '').split(/[.+-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);

function older(version: string, than: string): boolean {
  const [a, b] = [numbers(version), numbers(than)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/** This Node is older than undici 8 supports, so a project on it needs undici overridden to 7. */
export const needsUndiciOverride = (nodeVersion: string = process.versions.node): boolean => older(nodeVersion, UNDICI_8_MIN_NODE);

/** The `overrides` entry that fixes it, as it goes into package.json. */
export const UNDICI_OVERRIDE_JSON = `"overrides": { "undici": "${UNDICI_OVERRIDE_RANGE}" }`;

/**
 * Why testcontainers cannot load with this undici on this Node, with the fix; undefined when it can (or when the
 * undici version is unknown: then nothing is known to be wrong).
 */
export function undiciProblem(nodeVersion: string, undici: { version: string; path?: string } | undefined): string | undefined {
  if (undici === undefined || !needsUndiciOverride(nodeVersion) || numbers(undici.version)[0]! < 8) return undefined;
  return [
    `testcontainers cannot load on Node ${nodeVersion.replace(/^v/, '')}: it would load undici ${undici.version}${undici.path ? ` (${undici.path})` : ''}, which needs Node >= ${UNDICI_8_MIN_NODE} and fails at import on an older one.`,
    `Fix: add ${UNDICI_OVERRIDE_JSON} to your project's package.json (\`npx drill init\` adds it), then run \`npm dedupe\` (a plain npm install keeps the undici in package-lock.json); or use Node >= ${UNDICI_8_MIN_NODE}.`,
  ].join('\n');
}

/** The undici that testcontainers would load, resolved from where testcontainers is found from `fromDir`. */
export function testcontainersUndici(fromDir: string = __dirname): { version: string; path: string } | undefined {
  try {
    const testcontainers = createRequire(join(fromDir, 'resolve-from.js')).resolve('testcontainers');
    const path = createRequire(testcontainers).resolve('undici/package.json');
    return { version: (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version, path };
  } catch {
    return undefined;
  }
}

/** The one check every entry point makes before it imports testcontainers. */
export const testcontainersUndiciProblem = (fromDir?: string, nodeVersion: string = process.versions.node): string | undefined =>
  undiciProblem(nodeVersion, testcontainersUndici(fromDir));
