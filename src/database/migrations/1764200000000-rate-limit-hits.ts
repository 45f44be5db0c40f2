import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

// Sliding-window counters as one row per hit (src/rate-limits/database-hit-counter.ts), replacing
// the one-row-per-window `rate_limits` for SMS budgets and the general throttle: a row that every
// request updates conflicts on every commit of a multi-primary cluster; inserted rows do not.
export class RateLimitHits1764200000000 implements MigrationInterface {
  name = 'RateLimitHits1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const charset = type === 'mysql' || type === 'mariadb' ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'rate_limit_hits',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true, ...charset },
          { name: 'bucket', type: 'varchar', length: '191', isNullable: false, ...charset },
          { name: 'seq', type: 'integer', isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 3, isNullable: false },
          { name: 'expires_at', type: 'datetime', precision: 3, isNullable: false },
        ],
        indices: [
          new TableIndex({ name: 'IDX_rate_limit_hits_bucket_created_at', columnNames: ['bucket', 'created_at'] }),
          new TableIndex({ name: 'IDX_rate_limit_hits_expires_at', columnNames: ['expires_at'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('rate_limit_hits', true);
  }
}
