// Jest's node environment, plus: what Nest's Logger writes during a test is kept in memory
// (test/support/capture-nest-logs.ts) and printed only when that test fails. Passing tests that
// exercise an error path (a refused client secret, an open circuit) then print no red ERROR lines.
const { TestEnvironment } = require('jest-environment-node');

class CapturedLogsEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.capturedLogs = [];
    this.global.__capturedNestLogs = this.capturedLogs;
  }

  async handleTestEvent(event) {
    if (event.name === 'test_start') this.capturedLogs.length = 0;
    const failed = (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    if (failed && this.capturedLogs.length > 0) {
      const name = event.test?.name ?? event.hook?.type ?? '';
      process.stderr.write(`\nNest logs of the failed "${name}":\n${this.capturedLogs.join('\n')}\n`);
    }
    if (event.name === 'test_done' || event.name === 'hook_failure') this.capturedLogs.length = 0;
  }
}

module.exports = CapturedLogsEnvironment;
