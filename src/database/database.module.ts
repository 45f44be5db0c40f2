import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.service';
import { buildDataSourceOptions, withoutQueryBound } from './data-source-options';
import { DatabaseStatusRepository } from './database-status.repository';
import { Database } from './database.service';
import { HousekeepingService } from './housekeeping.service';
import { runMigrations } from './migration-runner';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.get('database')),
        autoLoadEntities: true,
        // Boot fails after a few tries instead of hanging forever on a wrong DATABASE_URL.
        retryAttempts: 5,
        retryDelay: 2000,
      }),
      dataSourceFactory: async (options) => {
        const logger = new Logger('Database');
        // Migrations run on their own connection without the query bound (a schema change may take
        // long, and GET_LOCK waits for another instance's); the service's DataSource is bounded. The
        // migrator needs no entities (as `migrate` and the CLI): their metadata is built once, below.
        const migrator = await new DataSource({ ...withoutQueryBound(options!), entities: [] }).initialize();
        try {
          const applied = await runMigrations(migrator, logger);
          logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
        } finally {
          await migrator.destroy();
        }
        return new DataSource(options!).initialize();
      },
    }),
  ],
  providers: [Database, DatabaseStatusRepository, HousekeepingService],
  exports: [Database, DatabaseStatusRepository, HousekeepingService],
})
export class DatabaseModule {}
