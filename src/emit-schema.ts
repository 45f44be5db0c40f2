// `npm run schema`: writes schema.gql from the code-first schema without serving anything.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp } from './bootstrap';
import { loadAppConfig } from './config/app-config';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wl-schema-'));
  const file = resolve(process.argv[2] ?? 'schema.gql');
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: 'sqlite::memory:',
    GRAPHQL_SCHEMA_FILE: file,
    LOG_LEVEL: 'warn',
    // Nothing runs against the throw-away database: no refresh job, no outbox drainer, no event sweeper.
    TOKEN_REFRESH_ENABLED: 'false',
    OUTBOX_ENABLED: 'false',
    PROVIDER_EVENTS_SWEEP_SECONDS: '0',
  });
  const app = await createApp(config);
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
