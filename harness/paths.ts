import { join } from 'node:path';

/** The repository root, whether running from TypeScript sources (jest) or from dist/ (the CLI). */
export const projectRoot = __dirname.includes(`${join('dist', 'harness')}`) ? join(__dirname, '..', '..') : join(__dirname, '..');
