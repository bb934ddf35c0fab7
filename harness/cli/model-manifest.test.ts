/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { buildModel } from '../../services/model/build';
import { ExitCode } from '../errors';
import { main } from './main';

describe('drill model manifest', () => {
  let root: string;
  let file: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drill-model-manifest-'));
    // The two-tower model with an input whose name says nothing about the field it carries.
    const model = onnx.ModelProto.decode(buildModel().onnx);
    model.graph!.input!.find((i) => i.name === 'user_features')!.name = 'x7';
    for (const node of model.graph!.node!) node.input = node.input!.map((name) => (name === 'user_features' ? 'x7' : name));
    file = join(root, 'ranker.onnx');
    await writeFile(file, onnx.ModelProto.encode(model).finish());
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function drill(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await main(['node', 'drill', 'model', 'manifest', ...args]);
      return { code, out: out.mock.calls.join('\n'), err: err.mock.calls.join('\n') };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('exits 2 naming the input it cannot map and the flag that fixes it', async () => {
    const { code, err } = await drill(file, '--out', join(root, 'refused'));
    expect(code).toBe(ExitCode.invalidInput);
    expect(err).toContain('cannot tell which request field input "x7" carries');
    expect(err).toContain('--map ROLE=NAME');
  });

  it('writes the model directory with --map, and prints the mapping', async () => {
    const out = join(root, 'mapped');
    const result = await drill(file, '--out', out, '--map', 'userFeatures=x7', '--name', 'acme', '--version', 'v7');
    expect(result).toMatchObject({ code: ExitCode.pass, err: '' });
    expect(result.out).toContain('userFeatures <- input x7');
    expect(result.out).toContain('userId       <- input user_id (ids 0..9999)');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'acme', version: 'v7', io: { inputs: { userFeatures: 'x7' } } });
    expect((await readFile(join(out, 'model.onnx'))).equals(await readFile(file))).toBe(true);
  });

  it('refuses a --map role that does not exist', async () => {
    const { code, err } = await drill(file, '--map', 'userFeature=x7');
    expect(code).toBe(ExitCode.invalidInput);
    expect(err).toContain('--map takes KEY=VALUE with KEY one of userId, userFeatures, itemIds, itemFeatures, scores, got "userFeature=x7"');
  });
});
