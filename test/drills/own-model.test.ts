// "Drill your own deployment" with your own model: an ONNX file exported elsewhere (other input and output
// names, other weights), given a manifest by `drill model manifest` and named in the scenario (topology.model).
// The replicas must serve it and the judge must judge against it, not against the reference model.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../../services/model/build';
import { writeForeignModelDir } from '../../services/model/foreign';
import { exportedElsewhere, rewriteModel } from '../../services/model/foreign-fixture';
import { projectRoot } from '../../harness/paths';
import { GATE_RETRIES, builtInScenario, drill } from './gate';

const REPORT_DIR = join(projectRoot, 'reports', 'own-model');
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'own-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the crash drill runs against your own model: both replicas serve it and no answer is judged wrong', async () => {
  // Weights from another seed than the reference model's: judged against the reference, every answer would be wrong.
  const file = join(root, 'exported-ranker.onnx');
  await writeFile(file, rewriteModel(buildModel({ seed: 4242 }).onnx, (g) => exportedElsewhere(g)));
  const { dir, manifest } = await writeForeignModelDir(file, { out: join(root, 'my-ranker') });
  expect(manifest.sha256).not.toBe(buildModel().manifest.sha256);
  const crash = builtInScenario('primary-crash');
  const { journal, summary } = await drill({ ...crash, topology: { ...crash.topology, model: dir } }, REPORT_DIR, {}, GATE_RETRIES);
  if (journal.verdict !== 'pass') throw new Error(`did not pass:\n${summary}`);
  expect(journal.environment.models).toEqual({ fp32: { version: manifest.version, sha256: manifest.sha256, bytes: manifest.bytes } });
  expect(journal.measurements?.wrongAnswers).toBe(0);
  expect(journal.measurements?.phases.fault.servedBy.standby).toBeGreaterThan(0);
  // Both replicas served it: primary and standby agree exactly (same model, same precision).
  expect(journal.measurements?.consistency).toMatchObject({ maxAbsScoreDelta: 0, sameTop1Rate: 1 });
  expect(journal.measurements?.consistency?.primary.sha256).toBe(manifest.sha256);
});
