import { DataSource } from 'typeorm';
import type { AppConfigValues } from '../config/app-config';
import { createDatabaseIfMissing } from './create-database';
import { buildDataSourceOptions, withoutQueryBound } from './data-source-options';
import { runMigrations } from './migration-runner';

/**
 * `node dist/src/main.js migrate` (`npm run migration:run`): applies the pending migrations, under the
 * same lock the service takes at boot, and answers their names. Needs only the built service and its
 * production dependencies, so it runs from the production image as a deploy step. On MySQL/MariaDB it
 * first creates the database when it does not exist and the user may (`onCreated` is told).
 */
export async function migrateDatabase(
  config: AppConfigValues,
  onCreated: (name: string) => void = () => undefined,
): Promise<string[]> {
  if (config.database.type === 'mysql') {
    const created = await createDatabaseIfMissing(config.database.url);
    if (created) onCreated(created);
  }
  // Schema changes may take long: no per-query bound here, as at boot.
  const dataSource = await new DataSource(withoutQueryBound(buildDataSourceOptions(config.database))).initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
