import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { schemaBuilder } from './schema-builder';

// Issue 20: the outbox. A row is written in the same transaction as the change it reports (a webhook,
// or one of our own cleanups at a provider) and drained by any instance under a lease. The id is the
// webhook-id (uuid v7: ordered by creation); `ordering_key` (a user id) keeps one user's deliveries in order.
export class Outbox1764520000000 implements MigrationInterface {
  name = 'Outbox1764520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const { id, str, time, text, index } = schemaBuilder(type === 'mysql' || type === 'mariadb');
    await queryRunner.createTable(
      new Table({
        name: 'outbox',
        columns: [
          id(),
          // 'webhook', or an internal cleanup ('identity.revoke').
          str('kind', 32, false),
          // The event type of a webhook (user.deleted, ...); the cleanup's name otherwise.
          str('type', 64, false),
          // A webhook: its endpoint URL ('sandbox': the sandbox's own receiver).
          str('endpoint', 1024),
          text('payload'),
          str('status', 16, false),
          { name: 'attempts', type: 'integer', isNullable: false, default: 0 },
          { name: 'last_status_code', type: 'integer', isNullable: true },
          // A label (http_500, timeout, ...): never a response body, a token or a secret.
          str('last_error', 128),
          time('next_attempt_at'),
          str('lease_owner', 64),
          time('lease_expires_at', true),
          str('ordering_key', 36),
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          index('outbox', ['status', 'next_attempt_at']),
          index('outbox', ['ordering_key', 'status']),
          index('outbox', ['kind', 'created_at']),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('outbox', true);
  }
}
