/**
 * The plain statements of a repository, by name: one text for both dialects, or one per dialect.
 * Repositories declare them as constants so that `sql-snapshots.spec.ts` can write every statement
 * to a reviewed `.sql` file (src/database/queries/) without running anything.
 */
export type Dialect = 'mysql' | 'sqlite';
export type Statement = string | Readonly<Record<Dialect, string>>;
export type Statements = Readonly<Record<string, Statement>>;

/** The text of a statement on one dialect. */
export function textOf(statement: Statement, dialect: Dialect): string {
  return typeof statement === 'string' ? statement : statement[dialect];
}

/** `IN (?...)` in a statement's text becomes `IN (?, ?, ?)` for `count` values (count > 0). */
export function withList(text: string, count: number): string {
  return text.replace('(?...)', `(${Array.from({ length: count }, () => '?').join(', ')})`);
}

/** `?, ?, ...` for `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

const BREAK_BEFORE =
  /\s+(?=(?:SELECT|FROM|INNER JOIN|LEFT JOIN|WHERE|SET|VALUES|GROUP BY|ORDER BY|LIMIT|FOR UPDATE|RETURNING)\b)/g;

/** The snapshot file of a repository's statements: one block per statement (per dialect where they differ). */
export function renderSqlSnapshot(owner: string, statements: Statements): string {
  const blocks = Object.entries(statements).map(([name, statement]) =>
    typeof statement === 'string'
      ? block(`${owner}.${name}`, statement)
      : (['mysql', 'sqlite'] as const)
          .map((dialect) => block(`${owner}.${name} (${dialect})`, statement[dialect]))
          .join('\n'),
  );
  return [
    `-- Statements of ${owner}, written by src/database/sql-snapshots.spec.ts; do not edit.`,
    '-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts',
    '',
    ...blocks,
  ].join('\n');
}

function block(title: string, text: string): string {
  return `-- ${title}\n${text.replace(BREAK_BEFORE, '\n  ')};\n`;
}
