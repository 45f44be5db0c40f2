import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database.service';
import { sqlIn } from '../../src/database/sql';
import { runWithRequestContext } from '../../src/common/request-context';
import { StatementCounter } from '../support/statement-counter';
import { openMigratedDatabase } from '../support/migrated-database';
import { TestDatabase } from '../support/test-database';

// Queued writes (Sql.write) on a real database: what commits, what rolls back, and, on MariaDB, how
// many round trips carry a transaction. SQLite here, MariaDB under npm run test:mysql (where queued
// writes share round trips: ConnectionSql).
const INSERT = "INSERT INTO audit_events (id, action, details, created_at) VALUES (?, 'batch.test', ?, ?)";
const DUPLICATE_KEY = /Duplicate entry|UNIQUE constraint failed/;

describe('queued writes in transactions and sessions', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let database: Database;
  let counter: StatementCounter;
  let seq = 0;
  const mysql = process.env.TEST_DATABASE_URL !== undefined;
  const id = () => `batch-${process.pid}-${++seq}`;
  const stored = async (ids: string[]): Promise<string[]> => {
    const rows = (await ds.query(
      `SELECT id FROM audit_events WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
      ids,
    )) as { id: string }[];
    return rows.map((row) => row.id);
  };
  /** Runs `work` as a request of its own and answers its statements and round trips. */
  const traced = async <T>(work: () => Promise<T>) => {
    const requestId = `batch-trace-${++seq}`;
    const result = await runWithRequestContext({ requestId } as never, work).catch((error: unknown) => error);
    return { result, statements: counter.statementsOf(requestId), trips: counter.roundTripsOf(requestId) };
  };

  beforeAll(async () => {
    ({ db, ds, database } = await openMigratedDatabase());
    counter = new StatementCounter().install();
  });

  afterAll(async () => {
    counter.uninstall();
    await ds.destroy();
    await db.drop();
  });

  it('commits the queued writes with the transaction: one round trip with the read before them, one with COMMIT', async () => {
    const [a, b] = [id(), id()];
    const run = await traced(() =>
      database.sqlTransaction(async (sql) => {
        await sql.rows('SELECT COUNT(*) AS n FROM audit_events');
        await sql.write(INSERT, [a, '{}', new Date()]);
        await sql.write(INSERT, [b, '{}', new Date()]);
        return 'done';
      }),
    );
    expect(run.result).toBe('done');
    expect(await stored([a, b])).toEqual([a, b].sort());
    expect(run.statements.filter((text) => /^(START TRANSACTION|BEGIN|COMMIT)/.test(text))).toHaveLength(2);
    expect(run.trips).toBe(mysql ? 2 : 5);
  });

  it('rolls back every write of the transaction when a queued write fails, and reports its error', async () => {
    const [a, taken] = [id(), id()];
    await database.sql.run(INSERT, [taken, '{}', new Date()]);
    const run = await traced(() =>
      database.sqlTransaction(async (sql) => {
        await sql.write(INSERT, [a, '{}', new Date()]);
        await sql.write(INSERT, [taken, '{"again":true}', new Date()]);
        return 'done';
      }),
    );
    expect(String((run.result as Error).message ?? run.result)).toMatch(DUPLICATE_KEY);
    expect(await stored([a, taken])).toEqual([taken]);
    const [row] = (await ds.query('SELECT details FROM audit_events WHERE id = ?', [taken])) as { details: string }[];
    expect(row.details).toBe('{}');
  });

  it('a TypeORM transaction: queued writes are in place before its own statements, and commit with it', async () => {
    const [a, b] = [id(), id()];
    const seen = await database.transaction(async (manager) => {
      const sql = sqlIn(manager);
      await sql.write(INSERT, [a, '{}', new Date()]);
      const [row] = (await manager.query('SELECT COUNT(*) AS n FROM audit_events WHERE id = ?', [a])) as {
        n: number | string;
      }[];
      await sql.write(INSERT, [b, '{}', new Date()]);
      return Number(row.n);
    });
    expect(seen).toBe(1);
    expect(await stored([a, b])).toEqual([a, b].sort());
  });

  it('a session outside any transaction: a read carries the queued writes and sees them; the rest goes at the end', async () => {
    const [a, b] = [id(), id()];
    const run = await traced(() =>
      database.sqlSession(async (sql) => {
        await sql.write(INSERT, [a, '{}', new Date()]);
        const [row] = await sql.rows<{ n: number | string }>('SELECT COUNT(*) AS n FROM audit_events WHERE id = ?', [
          a,
        ]);
        await sql.write(INSERT, [b, '{}', new Date()]);
        return Number(row.n);
      }),
    );
    expect(run.result).toBe(1);
    expect(await stored([a, b])).toEqual([a, b].sort());
    expect(run.statements).toHaveLength(3);
    expect(run.trips).toBe(mysql ? 2 : 3);
  });

  it('a session whose work fails keeps what each statement committed and sends nothing it still held', async () => {
    const [a, b] = [id(), id()];
    const run = await traced(() =>
      database.sqlSession(async (sql) => {
        await sql.run(INSERT, [a, '{}', new Date()]);
        await sql.write(INSERT, [b, '{}', new Date()]);
        throw new Error('the caller gave up');
      }),
    );
    expect((run.result as Error).message).toBe('the caller gave up');
    // SQLite runs a queued write at once; MySQL had not sent it.
    expect(await stored([a, b])).toEqual(mysql ? [a] : [a, b].sort());
  });
});
