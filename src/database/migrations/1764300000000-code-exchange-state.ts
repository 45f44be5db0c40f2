import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

// A login state is spent by the one code exchange that names it: a unique key on
// code_exchanges.state_hash, so that claiming a code and spending its state is one INSERT ... SELECT
// (src/wechat/code-exchanges.service.ts) instead of a transaction of three statements.
export class CodeExchangeState1764300000000 implements MigrationInterface {
  name = 'CodeExchangeState1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Exchanges are kept ten minutes; should two ever name one state, the later ones forget it.
    const duplicates = (await queryRunner.query(
      'SELECT state_hash FROM code_exchanges WHERE state_hash IS NOT NULL GROUP BY state_hash HAVING COUNT(*) > 1',
    )) as { state_hash: string }[];
    for (const { state_hash: stateHash } of duplicates) {
      const rows = (await queryRunner.query(
        'SELECT id FROM code_exchanges WHERE state_hash = ? ORDER BY created_at, id',
        [stateHash],
      )) as { id: string }[];
      for (const row of rows.slice(1)) {
        await queryRunner.query('UPDATE code_exchanges SET state_hash = NULL WHERE id = ?', [row.id]);
      }
    }
    await queryRunner.createIndex(
      'code_exchanges',
      new TableIndex({ name: 'UQ_code_exchanges_state_hash', columnNames: ['state_hash'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('code_exchanges', 'UQ_code_exchanges_state_hash');
  }
}
