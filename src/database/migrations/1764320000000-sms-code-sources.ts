import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { schemaBuilder } from './schema-builder';

// Issue 18 (5): wrong SMS codes from strangers must not kill the owner's code. A code remembers the
// device that asked for it (a hash; its IP was already kept), and counts wrong tries from any other
// source apart (`foreign_attempts`), so that only the asking source's own mistakes kill it for itself.
export class SmsCodeSources1764320000000 implements MigrationInterface {
  name = 'SmsCodeSources1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const { str } = schemaBuilder(type === 'mysql' || type === 'mariadb');
    await queryRunner.addColumns('sms_codes', [
      new TableColumn(str('requester_device', 64)),
      new TableColumn({ name: 'foreign_attempts', type: 'integer', isNullable: false, default: 0 }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sms_codes', 'foreign_attempts');
    await queryRunner.dropColumn('sms_codes', 'requester_device');
  }
}
