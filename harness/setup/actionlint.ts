// actionlint checks the GitHub Actions workflow `drill init` writes. It has no npm or Debian package, so setup
// builds it from its Go module into the cache, as it builds k6.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { $, which } from 'zx';
import { cacheDir } from './state';

export const ACTIONLINT_MODULE = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';

export const actionlintPath = (): string => join(cacheDir(), 'bin', 'actionlint');

/** The pinned actionlint in the cache, built from its Go module when it is missing or another version. */
export async function ensureActionlint(): Promise<string> {
  const version = ACTIONLINT_MODULE.split('@')[1] as string;
  const built = actionlintPath();
  if (existsSync(built) && (await $`${built} -version`.nothrow()).stdout.startsWith(version)) return `${built} (present)`;
  if (!(await which('go', { nothrow: true }))) throw new Error(`actionlint is not built and \`go\` is not installed to build it from ${ACTIONLINT_MODULE}`);
  await $({ env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(cacheDir(), 'bin') } })`go install ${ACTIONLINT_MODULE}`.timeout('600s');
  return `${built} (built from the Go module ${ACTIONLINT_MODULE})`;
}
