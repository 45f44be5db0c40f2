// The DataSource of the TypeORM CLI (`npm run migration:run`, `migration:generate`, `migration:revert`).
// It reads the same environment as the service, so it targets the same database.
import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app-config';
import { buildDataSourceOptions, withoutQueryBound } from './src/database/data-source-options';

const config = loadAppConfig(process.env);

// Migrations may take long: no per-query bound here.
export default new DataSource(
  withoutQueryBound(buildDataSourceOptions(config.database, [join(__dirname, 'src', '**', '*.entity.{js,ts}')])),
);
