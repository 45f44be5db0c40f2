// `npm run test:galera`: the cross-node checks on a multi-primary cluster (test/galera), one file
// at a time. GALERA_URLS names the nodes; see docs/galera.md.
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testRegex: 'test/galera/.*\\.galera-spec\\.ts$',
  testTimeout: 240000,
  maxWorkers: 1,
};
