/**
 * `npm run test:interop`: federation against a real Synapse on loopback
 * (LATTICE_SYNAPSE_PYTHON: a virtualenv's python with matrix-synapse; .ci/run
 * makes one), with a throwaway CA for TLS.
 */
const base = require('./jest.preset');

module.exports = {
  ...base,
  displayName: 'interop',
  testMatch: ['<rootDir>/test/interop/**/*.spec.ts'],
  setupFiles: ['<rootDir>/test/support/unref-long-timers.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.e2e.json' }] },
  testTimeout: 60_000,
};
