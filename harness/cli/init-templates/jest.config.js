// Drills run on real containers: one at a time, with room for a topology to start and stop.
module.exports = {
  testEnvironment: 'failover-drill/jest/environment',
  globalSetup: 'failover-drill/jest/global-setup',
  setupFilesAfterEnv: ['failover-drill/jest'],
  testTimeout: 300000,
  maxWorkers: 1,
};
