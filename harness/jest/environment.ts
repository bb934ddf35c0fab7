// jest `testEnvironment: 'failover-drill/jest/environment'`: jest's node environment sharing the outer realm's
// typed arrays, which the harness's in-process judge (onnxruntime-node) needs.
export { default } from '../../services/model/onnx-test-environment';
