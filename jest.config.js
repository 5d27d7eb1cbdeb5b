/**
 * `npm test`: unit tests of every lib and app, and the end-to-end tests that
 * drive the embedded homeserver with matrix-js-sdk. The e2e project compiles
 * with module node16 so `await import('matrix-js-sdk')` (an ES module) stays a
 * real dynamic import; jest runs it with --experimental-vm-modules.
 */
const base = require('./jest.preset');

module.exports = {
  // Suites run one after another in a worker that is replaced once it holds more than this after a suite: the
  // e2e suites each start servers, and run in one process all of them outgrow Node's default heap.
  workerIdleMemoryLimit: '2GB',
  // An e2e test starts servers and crosses federation; on a loaded 2-core CI machine jest's 5 s default failed
  // tests that were only slow. A hang still fails, after this long.
  testTimeout: 30_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'],
      setupFiles: ['<rootDir>/test/support/unref-long-timers.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.e2e.json' }] },
    },
  ],
};
