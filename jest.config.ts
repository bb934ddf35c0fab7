import type { Config } from 'jest';

const transform: Config['transform'] = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

const config: Config = {
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
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/drills/**/*.test.ts'],
      slowTestThreshold: 60,
    },
  ],
};

export default config;
