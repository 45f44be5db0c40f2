// One config for every tier: unit specs beside the code (src/**/*.spec.ts), integration and
// end-to-end specs under test/. `npm run test:mysql` reruns test/e2e and test/integration on MySQL.
//
// ES-module-only dependencies (NestJS 12, uuid, ...): on Node 24.9+ with vm modules on (scripts/jest.js
// adds the flag) Jest require()s them natively, so node_modules is left alone. On older Node, or under
// a plain `npx jest`, jest.transform.js compiles them to CommonJS with SWC.
const vm = require('node:vm');

const nativeEsm = typeof vm.SourceTextModule?.prototype?.hasAsyncGraph === 'function';

module.exports = {
  // The node environment, with Nest's log lines shown only for failing tests (test/support).
  testEnvironment: '<rootDir>/test/support/jest-environment.js',
  setupFilesAfterEnv: ['<rootDir>/test/support/capture-nest-logs.ts'],
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: nativeEsm
    ? { '\\.ts$': '<rootDir>/jest.transform.js' }
    : { '\\.(ts|js|mjs)$': '<rootDir>/jest.transform.js' },
  transformIgnorePatterns: nativeEsm ? ['/node_modules/'] : [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
  maxWorkers: 2,
  // A worker gets 5 s, not Jest's 500 ms, to exit after its last file. No open handle is left (every
  // suite passes --detectOpenHandles; nothing is alive 400 ms after a worker is told to end), but on a
  // machine whose cores are all busy a worker is not always scheduled within 500 ms, and Jest then
  // printed "a worker process has failed to exit gracefully" after green runs. A real leak (a server,
  // a ref'd timer) still keeps a worker past 5 s and is still reported.
  workerGracefulExitTimeout: 5000,
};
