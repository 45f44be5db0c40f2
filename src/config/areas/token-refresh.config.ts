import { bool, defineVariables, EnvReader, int } from '../env-reader';

// The job that refreshes stored WeChat access tokens before they expire, within WeChat's quota.

export const TOKEN_REFRESH_VARIABLES = defineVariables({
  TOKEN_REFRESH_ENABLED: bool(
    'run the WeChat token refresh job in this API instance (default true; false where refresh-worker processes run it)',
    true,
  ),
  TOKEN_REFRESH_INTERVAL_SECONDS: int(
    'pause of the refresh job when nothing is due or the budget is spent; passes follow each other while work is due (default 60)',
    60,
    5,
    3600,
  ),
  TOKEN_REFRESH_WINDOW_SECONDS: int(
    'refresh access tokens expiring within this many seconds (default 1800)',
    1800,
    60,
    7000,
  ),
  TOKEN_REFRESH_CONCURRENCY: int('grants refreshed at once per instance (default 16, at most 256)', 16, 1, 256),
  TOKEN_REFRESH_PER_MINUTE: int(
    'grants refreshed per minute across all instances, under WeChat quota of 50,000 (default 30000)',
    30_000,
    1,
    50_000,
  ),
  TOKEN_REFRESH_BATCH: int('grants one instance claims per pass (default 500)', 500, 1, 5000),
  TOKEN_REFRESH_LEASE_SECONDS: int(
    "a claimed grant is another instance's again after this long (default 120)",
    120,
    10,
    3600,
  ),
  TOKEN_REFRESH_MAX_LAG_MS: int(
    'the in-process job counts the instance as busy while event-loop delay exceeds this (or any request is in flight); 0 = never busy, as in a refresh-worker (default 40)',
    40,
    0,
    10_000,
  ),
  TOKEN_REFRESH_BUSY_PER_SECOND: int(
    'grants the in-process job starts per second while the instance is busy with requests (default 50: a 20,000 backlog in under 7 minutes)',
    50,
    1,
    10_000,
  ),
});
const V = TOKEN_REFRESH_VARIABLES;

export interface TokenRefreshSettings {
  enabled: boolean;
  intervalSeconds: number;
  windowSeconds: number;
  concurrency: number;
  perMinute: number;
  batch: number;
  leaseSeconds: number;
  /** Event-loop delay (ms) above which the instance counts as busy; 0 turns the gate off. */
  maxLagMs: number;
  /** Grants started per second while the instance is busy (requests in flight or lagging). */
  busyPerSecond: number;
  /** A refresh-worker process: nothing else runs in it, so it looks for due grants every few seconds. */
  dedicated?: boolean;
}

export function readTokenRefresh(reader: EnvReader): TokenRefreshSettings {
  return {
    enabled: reader.bool(V.TOKEN_REFRESH_ENABLED),
    intervalSeconds: reader.int(V.TOKEN_REFRESH_INTERVAL_SECONDS),
    windowSeconds: reader.int(V.TOKEN_REFRESH_WINDOW_SECONDS),
    concurrency: reader.int(V.TOKEN_REFRESH_CONCURRENCY),
    perMinute: reader.int(V.TOKEN_REFRESH_PER_MINUTE),
    batch: reader.int(V.TOKEN_REFRESH_BATCH),
    leaseSeconds: reader.int(V.TOKEN_REFRESH_LEASE_SECONDS),
    maxLagMs: reader.int(V.TOKEN_REFRESH_MAX_LAG_MS),
    busyPerSecond: reader.int(V.TOKEN_REFRESH_BUSY_PER_SECOND),
  };
}
