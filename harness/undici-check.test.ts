import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './paths';
import { UNDICI_OVERRIDE_RANGE, needsUndiciOverride, testcontainersUndici, testcontainersUndiciProblem, undiciProblem } from './undici-check';

describe('whether testcontainers can load on this Node', () => {
  it('stops Node < 22.19 with undici >= 8, naming the Node, the undici and the fix', () => {
    const problem = undiciProblem('20.20.2', { version: '8.13.1', path: '/p/node_modules/testcontainers/node_modules/undici/package.json' });
    expect(problem).toContain('Node 20.20.2');
    expect(problem).toContain('undici 8.13.1 (/p/node_modules/testcontainers/node_modules/undici/package.json)');
    expect(problem).toContain('"overrides": { "undici": "^7.30.2" }');
    expect(problem).toContain('npx drill init');
    expect(problem).toContain('npm dedupe');
    expect(problem).toContain('Node >= 22.19.0');
    expect(undiciProblem('v22.18.9', { version: '8.0.0' })).toContain('Node 22.18.9');
    expect(undiciProblem('22.2.0', { version: '9.1.0' })).toBeDefined();
  });

  it('lets through undici 7 on any Node, undici 8 from Node 22.19, and an undici it could not find', () => {
    expect(undiciProblem('20.20.2', { version: '7.30.2' })).toBeUndefined();
    expect(undiciProblem('22.19.0', { version: '8.13.1' })).toBeUndefined();
    expect(undiciProblem('26.12.0', { version: '8.13.1' })).toBeUndefined();
    expect(undiciProblem('23.0.0', { version: '8.13.1' })).toBeUndefined();
    expect(undiciProblem('20.20.2', undefined)).toBeUndefined();
  });

  it('draws the line at 22.19.0', () => {
    expect(['20.11.0', '22.9.0', '22.18.99', 'v22.18.0'].map((v) => needsUndiciOverride(v))).toEqual([true, true, true, true]);
    expect(['22.19.0', '22.20.1', '24.0.0', 'v26.12.0'].map((v) => needsUndiciOverride(v))).toEqual([false, false, false, false]);
  });

  describe('finds the undici testcontainers itself would load', () => {
    let dir: string;
    const pkg = (at: string, name: string, version: string): void => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
      writeFileSync(join(at, 'index.js'), '');
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'undici-check-'));
      // A user's install: failover-drill's own undici 7 at the top, testcontainers' undici 8 nested under it.
      pkg(join(dir, 'node_modules', 'undici'), 'undici', '7.30.2');
      pkg(join(dir, 'node_modules', 'testcontainers'), 'testcontainers', '12.2.0');
      pkg(join(dir, 'node_modules', 'failover-drill', 'dist', 'harness'), 'failover-drill', '0.1.0');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const from = (): string => join(dir, 'node_modules', 'failover-drill', 'dist', 'harness');

    it('the nested one when testcontainers has its own', () => {
      pkg(join(dir, 'node_modules', 'testcontainers', 'node_modules', 'undici'), 'undici', '8.13.1');
      expect(testcontainersUndici(from())).toEqual({ version: '8.13.1', path: join(dir, 'node_modules', 'testcontainers', 'node_modules', 'undici', 'package.json') });
      expect(testcontainersUndiciProblem(from(), '20.20.2')).toContain('undici 8.13.1');
      expect(testcontainersUndiciProblem(from(), '22.19.0')).toBeUndefined();
    });

    it('the hoisted one when an override deduplicated it', () => {
      expect(testcontainersUndici(from())?.version).toBe('7.30.2');
      expect(testcontainersUndiciProblem(from(), '20.20.2')).toBeUndefined();
    });

    it('none when testcontainers is missing', () => {
      // Before any resolution from here: Node caches resolved paths for the life of the process.
      rmSync(join(dir, 'node_modules', 'testcontainers'), { recursive: true });
      expect(testcontainersUndici(from())).toBeUndefined();
    });
  });

  it('passes this repository, whose own overrides use the range drill init writes', () => {
    const overrides = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { overrides?: { undici?: string } }).overrides;
    expect(overrides?.undici).toBe(UNDICI_OVERRIDE_RANGE);
    expect(testcontainersUndici()?.version).toMatch(/^7\./);
    expect(testcontainersUndiciProblem()).toBeUndefined();
  });
});
