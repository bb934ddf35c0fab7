// Imported first by the API's and failover-drill/jest's entry modules, so a project whose testcontainers cannot
// load on this Node gets why and the fix (undici-check.ts) instead of a crash inside undici at import.
import { InvalidInputError } from './errors';
import { testcontainersUndiciProblem } from './undici-check';

const problem = testcontainersUndiciProblem();
if (problem !== undefined) throw new InvalidInputError(`failover-drill: ${problem}`);
