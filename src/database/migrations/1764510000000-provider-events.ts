import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { schemaBuilder } from './schema-builder';

/**
 * Part 3: the inbox of provider events (WeChat's message server now; Apple's and Huawei's receivers
 * later). A delivery is stored before it is answered, keyed by (provider, app_id, dedupe_key) so
 * that a repeated delivery is stored once; each row is applied under a lease (any instance, one at
 * a time) and retried with backoff until `applied_at` is set.
 */
export class ProviderEvents1764510000000 implements MigrationInterface {
  name = 'ProviderEvents1764510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const { id, str, time, text, index } = schemaBuilder(type === 'mysql' || type === 'mariadb');
    const table = 'provider_events';
    await queryRunner.createTable(
      new Table({
        name: table,
        columns: [
          id(),
          str('provider', 16, false),
          str('app_id', 128, false),
          // The provider's event id, or a SHA-256 (hex) of what identifies the event where it has none.
          str('dedupe_key', 64, false),
          str('event_type', 64, false),
          // The verified (decrypted) event as JSON; events carry no secrets.
          text('payload'),
          time('received_at'),
          time('applied_at', true),
          // 'applied', or 'ignored' (no handler for its type).
          str('outcome', 16),
          { name: 'attempts', type: 'integer', isNullable: false, default: 0 },
          str('last_error_code', 64),
          time('next_attempt_at'),
          str('lease_owner', 64),
          time('lease_expires_at', true),
        ],
        indices: [
          index(table, ['provider', 'app_id', 'dedupe_key'], true),
          // The sweeper's question: pending and due.
          index(table, ['applied_at', 'next_attempt_at']),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('provider_events', true);
  }
}
