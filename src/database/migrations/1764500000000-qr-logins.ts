import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { schemaBuilder } from './schema-builder';

// Issue 21: QR logins (a page shows a code, a signed-in app or WeChat scans it). The whole state lives
// in this row, so any instance serves any step; every transition is one conditional UPDATE. Only
// hashes of the bearer secrets (the QR content or WeChat scene, the page's poll token) are kept; a
// follow login's bind ticket waits here encrypted (TokenCipher) until the page collects it.
export class QrLogins1764500000000 implements MigrationInterface {
  name = 'QrLogins1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const { id, ref, str, time, text, index } = schemaBuilder(type === 'mysql' || type === 'mariadb');
    const table = 'qr_logins';
    await queryRunner.createTable(
      new Table({
        name: table,
        columns: [
          id(),
          str('kind', 16, false),
          // The follow kind's official account (its scene is unique per app); '' for the app kind.
          str('app_id', 128, false),
          str('code_hash', 64, false),
          str('poll_token_hash', 64, false),
          str('status', 16, false),
          ref('scanned_by', true),
          ref('user_id', true),
          str('login_method', 16),
          text('bind_ticket_enc'),
          str('bind_ticket_key_id', 32),
          str('device_id', 128),
          str('ip', 45),
          str('user_agent', 512),
          time('created_at'),
          time('expires_at'),
          time('scanned_at', true),
          time('decided_at', true),
          time('collected_at', true),
        ],
        indices: [index(table, ['app_id', 'code_hash'], true), index(table, ['expires_at'])],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('qr_logins', true);
  }
}
