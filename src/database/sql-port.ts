// What plain SQL is (the `Sql` interface) and the one call it makes on a mysql2 connection: shared
// by the pool's and SQLite's implementations (sql.ts) and the transaction's (connection-sql.ts).

/**
 * Plain SQL on the driver's own connection, for the hot paths: no query building, no entity
 * mapping, one round trip per call. Text uses `?` placeholders, valid on MySQL/MariaDB and SQLite
 * alike. Parameters: a Date is written the way TypeORM writes DATETIME columns on each dialect (so
 * rows stay readable by the entities); booleans become 0/1. DATETIME values read back are a Date on
 * MySQL and UTC text on SQLite: read them with `parseDbDate`.
 */
export interface Sql {
  /** The rows a statement returns (SELECT, or INSERT/DELETE ... RETURNING on the dialects that have it). */
  rows<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** A write; the number of rows it changed (MySQL: changed, not merely matched). */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /**
   * A write whose count nobody reads. In a MySQL transaction it is queued and sent with the next
   * statement batch or with COMMIT (ConnectionSql), and its failure fails the transaction there;
   * elsewhere it runs now, like `run`.
   */
  write(text: string, params?: readonly unknown[]): Promise<void>;
}

type MysqlCallback = (error: (Error & { code?: string }) | null, result?: unknown) => void;

export interface MysqlConnection {
  query(options: { sql: string; values?: unknown[]; timeout?: number }, callback: MysqlCallback): void;
  release(): void;
  destroy(): void;
}

/** One query on a mysql2 connection; its result (an array of results for several statements). */
export function query(
  connection: MysqlConnection,
  text: string,
  params: readonly unknown[],
  timeout?: number,
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    connection.query({ sql: text, values: params as unknown[], timeout }, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );
}
