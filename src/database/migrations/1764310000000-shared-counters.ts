import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

// Counters off the request path (issue 14): exact per-phone/per-token counters as one row per bucket
// with an optimistic version (`rate_limit_rows`), and the busy, approximate ones counted in memory and
// shared once a second as per-instance slot rows (`rate_limit_slots`). `rate_limit_hits` stays for
// instances of the previous release during a rolling upgrade; nothing of this release writes it.
export class SharedCounters1764310000000 implements MigrationInterface {
  name = 'SharedCounters1764310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const charset = type === 'mysql' || type === 'mariadb' ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'rate_limit_rows',
        columns: [
          { name: 'bucket_key', type: 'varchar', length: '64', isPrimary: true, ...charset },
          { name: 'hits', type: 'text', isNullable: false, ...charset },
          { name: 'version', type: 'integer', isNullable: false },
          { name: 'expires_ms', type: 'bigint', isNullable: false },
        ],
        indices: [new TableIndex({ name: 'IDX_rate_limit_rows_expires_ms', columnNames: ['expires_ms'] })],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'rate_limit_slots',
        columns: [
          { name: 'key_hash', type: 'varchar', length: '40', isPrimary: true, ...charset },
          { name: 'window_s', type: 'integer', isPrimary: true },
          { name: 'slot_ms', type: 'bigint', isPrimary: true },
          { name: 'instance_id', type: 'varchar', length: '36', isPrimary: true, ...charset },
          { name: 'hits', type: 'integer', isNullable: false },
          { name: 'updated_ms', type: 'bigint', isNullable: false },
          { name: 'expires_ms', type: 'bigint', isNullable: false },
        ],
        indices: [
          new TableIndex({ name: 'IDX_rate_limit_slots_updated_ms', columnNames: ['updated_ms'] }),
          new TableIndex({ name: 'IDX_rate_limit_slots_expires_ms', columnNames: ['expires_ms'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('rate_limit_slots', true);
    await queryRunner.dropTable('rate_limit_rows', true);
  }
}
