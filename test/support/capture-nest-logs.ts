import { Logger, LoggerService } from '@nestjs/common';

// Outside a booted app (unit and client specs), Nest's Logger would print straight to the terminal.
// Here it writes into the buffer of test/support/jest-environment.js, shown when a test fails. An
// app under test (test-app.ts) installs its own logger, whose lines the test reads from `t.logs`.

const buffer = (globalThis as { __capturedNestLogs?: string[] }).__capturedNestLogs ?? [];

function line(level: string, message: unknown, rest: unknown[]): string {
  const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? `[${String(rest.at(-1))}] ` : '';
  const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
  return `${level.toUpperCase()} ${context}${text}`;
}

const capture: LoggerService = {
  log: (message: unknown, ...rest: unknown[]) => void buffer.push(line('log', message, rest)),
  error: (message: unknown, ...rest: unknown[]) => void buffer.push(line('error', message, rest)),
  warn: (message: unknown, ...rest: unknown[]) => void buffer.push(line('warn', message, rest)),
  debug: (message: unknown, ...rest: unknown[]) => void buffer.push(line('debug', message, rest)),
  verbose: (message: unknown, ...rest: unknown[]) => void buffer.push(line('verbose', message, rest)),
  fatal: (message: unknown, ...rest: unknown[]) => void buffer.push(line('fatal', message, rest)),
};

Logger.overrideLogger(capture);
