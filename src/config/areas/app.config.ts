import { isAbsolute, resolve } from 'node:path';
import { defineVariables, EnvReader, int, oneOf, text } from '../env-reader';

// The service as a whole: which mode it runs in, where its files live, how loud it logs, how it stops.

export type AppMode = 'sandbox' | 'production';

export const APP_VARIABLES = defineVariables({
  NODE_ENV: text('`production` turns on production mode (same as APP_MODE=production)'),
  APP_MODE: oneOf('`sandbox` (default outside production) or `production`', ['sandbox', 'production']),
  DATA_DIR: text('where the SQLite file and sandbox keys live (default ./data)', './data'),
  LOG_LEVEL: oneOf('fatal | error | warn | info | debug | trace | silent (default info)', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ]),
  SHUTDOWN_DRAIN_MS: int(
    'at SIGTERM, readiness is red this long before the listener closes (default 5000)',
    5000,
    0,
    120_000,
  ),
});
const V = APP_VARIABLES;

export interface AppSettings {
  mode: AppMode;
  dataDir: string;
  logLevel: string;
  /** At SIGTERM, how long readiness is red while requests are still served. */
  shutdownDrainMs: number;
}

/** Production when NODE_ENV or APP_MODE says so; the sandbox is refused under NODE_ENV=production. */
export function readMode(reader: EnvReader): AppMode {
  const nodeEnv = reader.string(V.NODE_ENV);
  const appMode = reader.enum(V.APP_MODE);
  if (nodeEnv === 'production' && appMode === 'sandbox') {
    reader.problems.push('APP_MODE: sandbox mode is refused when NODE_ENV=production');
    return 'production';
  }
  return nodeEnv === 'production' || appMode === 'production' ? 'production' : 'sandbox';
}

export function readDataDir(reader: EnvReader, cwd: string): string {
  const raw = reader.text(V.DATA_DIR);
  return isAbsolute(raw) ? raw : resolve(cwd, raw);
}

export const readLogLevel = (reader: EnvReader): string => reader.enum(V.LOG_LEVEL) ?? 'info';
export const readShutdownDrainMs = (reader: EnvReader): number => reader.int(V.SHUTDOWN_DRAIN_MS);
