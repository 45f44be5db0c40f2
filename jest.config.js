// One config for every tier: unit specs beside the code (src/**/*.spec.ts), integration and
// end-to-end specs under test/. `npm run test:mysql` reruns test/e2e and test/integration on MySQL.
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: { '\\.(ts|js|mjs)$': '<rootDir>/jest.transform.js' },
  // ES-module-only dependencies must be transformed too (see jest.transform.js).
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
};
