import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * The package root: the repository when running from TypeScript sources (jest) or from dist/ (the CLI), and
 * node_modules/failover-drill once installed. Assets are read from here (service sources and Dockerfiles, the
 * k6 script, gateway templates); outputs a user asks for (reports) go where the user says, relative to the cwd.
 */
export const projectRoot = __dirname.includes(`${join('dist', 'harness')}`) ? join(__dirname, '..', '..') : join(__dirname, '..');

/**
 * The directory of an installed dependency, found the way Node finds it from `from`: inside the repository that
 * is ./node_modules, in a user's project the dependency is usually hoisted beside this package. Looked up by
 * directory, not by `require.resolve('x/package.json')`, which a package's `exports` may refuse.
 */
export function dependencyDir(name: string, from: string = projectRoot): string {
  const lookup = createRequire(join(from, 'package.json')).resolve.paths(name) ?? [];
  const dir = lookup.map((base) => join(base, name)).find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`cannot find the package ${name} from ${from} (looked in ${lookup.join(', ')}); is it installed?`);
  return dir;
}

