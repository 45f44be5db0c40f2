// Browser tests need Debian's chromium (.ci/run installs it); `npm test` stays free of outside needs.
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test/browser'], testRegex: '\\.browser-spec\\.ts$', testTimeout: 60000 };
