import type { Config } from 'jest';

const transform: Config['transform'] = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

const config: Config = {
  // Drills share two cores with the containers they measure: never two at once.
  maxWorkers: 1,
  testTimeout: 180_000,
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports', outputName: 'jest-junit.xml', addFileAttribute: 'true' }]],
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/harness/**/*.test.ts', '<rootDir>/services/**/*.test.ts'],
    },
    {
      // Container-backed drills: real Docker, real Toxiproxy. Serial, long timeouts.
      displayName: 'drills',
      transform,
      testMatch: ['<rootDir>/test/drills/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      // onnxruntime-node computes the reference scores in-process; its typed arrays must cross jest's VM realm.
      testEnvironment: '<rootDir>/services/model/onnx-test-environment.ts',
      slowTestThreshold: 60,
    },
    {
      // Drills against model servers nobody here wrote (KServe from PyPI): not in `npm test`, whose gate runs the
      // reference stack; a fresh machine pays ~4 min for the image and ~3 min for the drills (npm run test:servers).
      displayName: 'servers',
      transform,
      testMatch: ['<rootDir>/test/servers/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      testEnvironment: '<rootDir>/services/model/onnx-test-environment.ts',
      slowTestThreshold: 60,
    },
    {
      // The harness's own trustworthiness: runs killed at random moments must leave nothing behind.
      displayName: 'reliability',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
    },
    {
      // The packed tarball installed in a scratch project, whose own jest runs a drill: what a user gets.
      displayName: 'package',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/package/**/*.test.ts'],
    },
  ],
};

export default config;
