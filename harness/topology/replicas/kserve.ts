// KServe's Python ModelServer (the `kserve` package from PyPI) with a small custom model class that runs the same
// model.onnx with PyPI's onnxruntime (services/kserve/two_tower.py): an OIP v2 server nobody here wrote, as a
// preset of the general form. Its model directory holds model.onnx and the manifest.json that names the model.
import { join } from 'node:path';
import { projectRoot } from '../../paths';
import { oipV2Replica } from './oip-v2';

const MODEL_DIR = '/models/two-tower';

export const kserveReplica = oipV2Replica(
  'KServe ModelServer 0.21 (PyPI) with a custom onnxruntime model class: OIP v2 only, no reload, no hot backup, no readiness reasons',
  {
    command: ['--model_name', '{{model}}', '--model_dir', MODEL_DIR, '--role', '{{role}}', '--http_port', '8080', '--workers', '1', '--enable_grpc', 'false'],
    port: 8080,
    modelPath: `${MODEL_DIR}/model.onnx`,
    manifestPath: `${MODEL_DIR}/manifest.json`,
    readiness: '/v2/models/{{model}}/ready',
  },
  { name: 'kserve', context: join(projectRoot, 'services', 'kserve'), pipRequirements: 'requirements.txt' },
);
