// Unit specs (*.spec.ts) and the specs against a running sandbox (*.sandbox-spec.ts). The sandbox
// is the repository's built service (`npm run build` at the root first), started by
// test/sandbox-setup.ts on its own port and data dir, or LOGIN_SERVICE_URL when set.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '\\.(sandbox-)?spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  // src/ imports end in .js (so that dist/esm runs in browsers as it is): map them back to the .ts.
  moduleNameMapper: { '^@wechat-login/client$': '<rootDir>/src', '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/stale-socket-retry.ts'],
  globalSetup: '<rootDir>/test/sandbox-setup.ts',
  globalTeardown: '<rootDir>/test/sandbox-teardown.ts',
  testTimeout: 30000,
};
