// Jest runs each test file in its own VM realm, but onnxruntime-node's native addon creates typed arrays in
// the outer realm, so onnxruntime-common's `data instanceof Float32Array` checks fail inside tests
// ("A float32 tensor's data must be type of Float32Array"). Sharing the outer realm's typed-array
// constructors with the test realm makes both sides agree. Use it with the docblock
// `@jest-environment <rootDir>/services/model/onnx-test-environment.ts` in tests that run a model.
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';

const SHARED_CONSTRUCTORS = [
  ArrayBuffer,
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

export default class OnnxTestEnvironment extends NodeEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    for (const ctor of SHARED_CONSTRUCTORS) (this.global as Record<string, unknown>)[ctor.name] = ctor;
  }
}
