import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.service';
import { buildDataSourceOptions } from './data-source-options';
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
        const dataSource = await new DataSource(options!).initialize();
        const applied = await runMigrations(dataSource, logger);
        logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
        return dataSource;
      },
    }),
  ],
  providers: [Database, HousekeepingService],
  exports: [Database, HousekeepingService],
})
export class DatabaseModule {}
