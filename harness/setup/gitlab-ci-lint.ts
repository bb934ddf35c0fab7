// GitLab's CI JSON schema checks the .gitlab-ci.yml `drill init` writes. GitLab publishes no package of its own; PyPI's
// gitlabci-jsonschema-lint ships a copy of the schema (draft-07) with a validator, installed into a virtualenv in
// the cache, as actionlint is built into it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $, which } from 'zx';
import { cacheDir } from './state';

const LINTER = { name: 'gitlabci-jsonschema-lint', version: '0.0.3' } as const;
export const GITLAB_CI_LINT_PACKAGE = `${LINTER.name}==${LINTER.version}`;

const venv = (): string => join(cacheDir(), 'gitlabci-lint');
export const gitlabCiLintPath = (): string => join(venv(), 'bin', LINTER.name);

/** Whether the pinned version is installed, by its dist-info directory (asking pip took ~6 s on a busy machine). */
function pinnedInstalled(): boolean {
  const lib = join(venv(), 'lib');
  const distInfo = `${LINTER.name.replace(/-/g, '_')}-${LINTER.version}.dist-info`;
  return existsSync(gitlabCiLintPath()) && existsSync(lib) && readdirSync(lib).some((python) => existsSync(join(lib, python, 'site-packages', distInfo)));
}

/** The pinned linter in its virtualenv, installed with pip when missing. */
export async function ensureGitlabCiLint(): Promise<string> {
  const linter = gitlabCiLintPath();
  if (pinnedInstalled()) return `${linter} (present)`;
  if (!(await which('python3', { nothrow: true }))) throw new Error(`python3 is not installed to install ${GITLAB_CI_LINT_PACKAGE} from PyPI`);
  const created = await $`python3 -m venv --clear ${venv()}`.nothrow();
  if (created.exitCode !== 0) throw new Error(`\`python3 -m venv ${venv()}\` failed (on Debian: apt-get install python3-venv): ${created.stderr.trim()}`);
  await $`${join(venv(), 'bin', 'pip')} install --quiet ${GITLAB_CI_LINT_PACKAGE}`.timeout('300s');
  return `${linter} (installed from ${GITLAB_CI_LINT_PACKAGE} on PyPI)`;
}
