import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { schemaBuilder } from './schema-builder';

// Issue 18 (3): a billed phone-number call reserves a numbered slot of its app's day before WeChat is
// asked. The unique keys settle races on one server and across cluster nodes (certification): at most
// `cap` slots a day, and one reservation per bind ticket. Rows of earlier releases keep NULLs.
export class PhoneCallSlots1764420000000 implements MigrationInterface {
  name = 'PhoneCallSlots1764420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const { str, index } = schemaBuilder(type === 'mysql' || type === 'mariadb');
    const table = 'wechat_phone_calls';
    for (const column of [
      { name: 'day', type: 'integer', isNullable: true },
      { name: 'slot', type: 'integer', isNullable: true },
      str('bind_ticket_id', 36),
    ]) {
      if (!(await queryRunner.hasColumn(table, column.name)))
        await queryRunner.addColumn(table, new TableColumn(column));
    }
    const existing = new Set((await queryRunner.getTable(table))!.indices.map((i) => i.name));
    for (const idx of [index(table, ['app_id', 'day', 'slot'], true), index(table, ['bind_ticket_id'], true)]) {
      if (!existing.has(idx.name)) await queryRunner.createIndex(table, idx);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = 'wechat_phone_calls';
    await queryRunner.dropIndex(table, 'UQ_wechat_phone_calls_bind_ticket_id');
    await queryRunner.dropIndex(table, 'UQ_wechat_phone_calls_app_id_day_slot');
    for (const column of ['bind_ticket_id', 'slot', 'day']) await queryRunner.dropColumn(table, column);
  }
}
