/** Unit tests of every lib and app; the services and interop suites have configs of their own. */
const base = require('./jest.preset');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/e2e/**/*.spec.ts'],
};
