// GitLab's CI JSON schema checks the .gitlab-ci.yml `drill init` writes. GitLab publishes no package of its own; PyPI's
// gitlabci-jsonschema-lint ships a copy of the schema (draft-07) with a validator, installed into a virtualenv in
// the cache, as actionlint is built into it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { $, which } from 'zx';
import { cacheDir } from './state';

export const GITLAB_CI_LINT_PACKAGE = 'gitlabci-jsonschema-lint==0.0.3';

const venv = (): string => join(cacheDir(), 'gitlabci-lint');
export const gitlabCiLintPath = (): string => join(venv(), 'bin', 'gitlabci-jsonschema-lint');

/** The pinned linter in its virtualenv, installed with pip when missing. */
export async function ensureGitlabCiLint(): Promise<string> {
  const linter = gitlabCiLintPath();
  const version = GITLAB_CI_LINT_PACKAGE.split('==')[1] as string;
  if (existsSync(linter) && (await $`${join(venv(), 'bin', 'pip')} show gitlabci-jsonschema-lint`.nothrow()).stdout.includes(`Version: ${version}`)) return `${linter} (present)`;
  if (!(await which('python3', { nothrow: true }))) throw new Error(`python3 is not installed to install ${GITLAB_CI_LINT_PACKAGE} from PyPI`);
  const created = await $`python3 -m venv --clear ${venv()}`.nothrow();
  if (created.exitCode !== 0) throw new Error(`\`python3 -m venv ${venv()}\` failed (on Debian: apt-get install python3-venv): ${created.stderr.trim()}`);
  await $`${join(venv(), 'bin', 'pip')} install --quiet ${GITLAB_CI_LINT_PACKAGE}`.timeout('300s');
  return `${linter} (installed from ${GITLAB_CI_LINT_PACKAGE} on PyPI)`;
}
