import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import { AppConfigValues, loadAppConfig } from '../../src/config/app-config';
import { createTestDatabase, TestDatabase } from './test-database';

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };
  headers: Record<string, string>;
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfigValues;
  database: TestDatabase;
  /** Where the sandbox keys live: a restarted app given the same one verifies the same tokens. */
  dataDir: string;
  /** Every log line the app wrote, raw. */
  logs: string[];
  http(): ReturnType<typeof request>;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResponse<T>>;
  /** Stops the app and drops its database and keys, unless `keep` (a restart takes them over). */
  close(keep?: boolean): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** An existing database to boot on (e.g. one a test prepared with an older schema); a fresh one otherwise. */
  database?: TestDatabase;
  /** Adjust the loaded configuration (e.g. mode: 'production' without real MySQL secrets). */
  override?: (config: AppConfigValues) => AppConfigValues;
  /** Restart on the database and keys of an app closed with `close(true)`; this one drops them. */
  reuse?: { database: TestDatabase; dataDir: string };
}

/** Boots the whole service on a fresh database, with its logs captured. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'wl-data-'));
  const database = options.reuse?.database ?? options.database ?? (await createTestDatabase());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  let config = loadAppConfig(
    {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'debug',
      GRAPHQL_SCHEMA_FILE: 'off',
      // Tests run refresh passes themselves (TokenRefreshService.runOnce), never on a timer.
      TOKEN_REFRESH_ENABLED: 'false',
      // Likewise the outbox (OutboxDrainer.runOnce); and no webhooks unless a test asks for them.
      OUTBOX_ENABLED: 'false',
      WEBHOOK_SANDBOX_RECEIVER: 'false',
      // And the provider-events sweeper (ProviderEventInbox.sweepOnce): a timer of its own querying a
      // database that a test stalls (database-stall) held one of its two connections.
      PROVIDER_EVENTS_SWEEP_SECONDS: '0',
      // No drain delay at shutdown unless a test sets one.
      SHUTDOWN_DRAIN_MS: '0',
      ...options.env,
    },
    dataDir,
  );
  if (options.override) config = options.override(config);
  const app = await createApp(config, { logDestination: sink });
  const server = app.getHttpServer();

  return {
    app,
    config,
    database,
    dataDir,
    logs,
    http: () => request(server),
    gql: async (query, variables, headers = {}) => {
      const res = await request(server)
        .post('/graphql')
        .set('content-type', 'application/json')
        .set(headers)
        .send({ query, variables });
      return { status: res.status, body: res.body, headers: res.headers as Record<string, string> };
    },
    close: async (keep = false) => {
      await app.close();
      if (keep) return;
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
