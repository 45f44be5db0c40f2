import { TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';

// Column and constraint builders for migrations written after the initial one, with the same rules:
// utf8mb4 with a binary collation on MySQL, millisecond UTC datetimes, named indexes and foreign keys
// (so that the entities can name the same constraints).
export function schemaBuilder(mysql: boolean) {
  const charset: Partial<TableColumnOptions> = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
  const str = (name: string, length: number, nullable = true): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable: nullable,
    ...charset,
  });
  return {
    id: (name = 'id'): TableColumnOptions => ({ ...str(name, 36, false), isPrimary: true }),
    ref: (name: string, nullable = false): TableColumnOptions => str(name, 36, nullable),
    str,
    time: (name: string, nullable = false): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: 3,
      isNullable: nullable,
    }),
    text: (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true, ...charset }),
    fk: (from: string, column: string, table: string, onDelete: 'CASCADE' | 'SET NULL'): TableForeignKey =>
      new TableForeignKey({
        name: `FK_${from}_${column}`,
        columnNames: [column],
        referencedTableName: table,
        referencedColumnNames: ['id'],
        onDelete,
        onUpdate: 'NO ACTION',
      }),
    index: (table: string, columns: string[], unique = false): TableIndex =>
      new TableIndex({
        name: `${unique ? 'UQ' : 'IDX'}_${table}_${columns.join('_')}`,
        columnNames: columns,
        isUnique: unique,
      }),
  };
}
