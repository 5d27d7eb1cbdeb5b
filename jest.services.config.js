/**
 * `npm run test:services`: services mode against real Postgres, NATS
 * JetStream and Redis (URLs from LATTICE_TEST_*; .ci/run starts them), one
 * suite at a time since they share those servers.
 */
const base = require('./jest.preset');

module.exports = {
  ...base,
  displayName: 'services',
  testMatch: ['<rootDir>/test/services/**/*.spec.ts'],
  setupFiles: ['<rootDir>/test/support/unref-long-timers.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.e2e.json' }] },
  testTimeout: 60_000,
};
