import { BATCH_SEPARATOR, ConnectionSql, shareWithRunner } from './connection-sql';
import type { MysqlConnection } from './sql';

type Answer = (text: string) => unknown;

/** A connection that records each round trip and answers each statement in it (an Error fails it). */
function fakeConnection(answer: Answer = () => ({ affectedRows: 1 })) {
  const trips: string[][] = [];
  const connection: MysqlConnection = {
    query: (options, callback) => {
      const statements = options.sql.split(BATCH_SEPARATOR);
      trips.push(statements);
      const results: unknown[] = [];
      for (const text of statements) {
        const result = answer(text);
        if (result instanceof Error) return setImmediate(() => callback(result));
        results.push(result);
      }
      setImmediate(() => callback(null, statements.length === 1 ? results[0] : results));
    },
    release: () => undefined,
    destroy: () => undefined,
  };
  return { connection, trips };
}

const duplicate = () => Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', sqlState: '23000' });

describe('ConnectionSql: a transaction in fewer round trips', () => {
  it('sends BEGIN with the first statement, and the queued writes with COMMIT', async () => {
    const { connection, trips } = fakeConnection((text) => (text.startsWith('SELECT') ? [{ id: 'a' }] : {}));
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await expect(sql.rows('SELECT id FROM t WHERE k = ?', ['k'])).resolves.toEqual([{ id: 'a' }]);
    await sql.write('UPDATE t SET v = ? WHERE id = ?', [1, 'a']);
    await sql.write('INSERT INTO u (id) VALUES (?)', ['b']);
    expect(trips).toHaveLength(1);
    await sql.commit();
    expect(trips).toEqual([
      ['START TRANSACTION', 'SELECT id FROM t WHERE k = ?'],
      ['UPDATE t SET v = ? WHERE id = ?', 'INSERT INTO u (id) VALUES (?)', 'COMMIT'],
    ]);
  });

  it('sends queued writes on their own before a statement that answers, so that it reads them', async () => {
    const { connection, trips } = fakeConnection();
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await sql.write('INSERT INTO t (id) VALUES (?)', ['a']);
    await expect(sql.run('UPDATE t SET v = 1 WHERE id = ?', ['a'])).resolves.toBe(1);
    await sql.commit();
    expect(trips).toEqual([
      ['START TRANSACTION', 'INSERT INTO t (id) VALUES (?)'],
      ['UPDATE t SET v = 1 WHERE id = ?'],
      ['COMMIT'],
    ]);
  });

  it("reports a statement's own error to its caller, who may go on", async () => {
    const { connection, trips } = fakeConnection((text) => (text.startsWith('INSERT') ? duplicate() : [{ id: 'a' }]));
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await expect(sql.run('INSERT INTO t (id) VALUES (?)', ['a'])).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await expect(sql.rows('SELECT id FROM t WHERE id = ?', ['a'])).resolves.toEqual([{ id: 'a' }]);
    await sql.commit();
    expect(trips.map((trip) => trip.join(' | '))).toEqual([
      'START TRANSACTION | INSERT INTO t (id) VALUES (?)',
      'SELECT id FROM t WHERE id = ?',
      'COMMIT',
    ]);
  });

  it('fails everything after a queued write that failed, COMMIT included, and rolls back', async () => {
    const { connection, trips } = fakeConnection((text) => (text.startsWith('INSERT') ? duplicate() : {}));
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await sql.write('INSERT INTO t (id) VALUES (?)', ['a']);
    await expect(sql.run('UPDATE u SET v = 1')).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await expect(sql.rows('SELECT 1')).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await expect(sql.write('UPDATE u SET v = 2')).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await expect(sql.commit()).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await sql.rollback();
    expect(trips).toEqual([['START TRANSACTION', 'INSERT INTO t (id) VALUES (?)'], ['ROLLBACK']]);
  });

  it('a failure in the COMMIT round trip leaves the transaction to roll back', async () => {
    const { connection, trips } = fakeConnection((text) => (text.startsWith('INSERT') ? duplicate() : [{}]));
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await sql.rows('SELECT 1');
    await sql.write('INSERT INTO t (id) VALUES (?)', ['a']);
    await expect(sql.commit()).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await sql.rollback();
    expect(trips).toEqual([
      ['START TRANSACTION', 'SELECT 1'],
      ['INSERT INTO t (id) VALUES (?)', 'COMMIT'],
      ['ROLLBACK'],
    ]);
  });

  it('costs no round trip when the transaction never needed the database', async () => {
    const { connection, trips } = fakeConnection();
    const committed = new ConnectionSql(connection, undefined, true);
    committed.begin();
    await committed.commit();
    const rolledBack = new ConnectionSql(connection, undefined, true);
    rolledBack.begin();
    await rolledBack.write('INSERT INTO t (id) VALUES (?)', ['a']);
    await rolledBack.rollback();
    expect(trips).toEqual([]);
  });

  it('without batching sends the same statements in the same order, one per round trip', async () => {
    const { connection, trips } = fakeConnection((text) => (text.startsWith('SELECT') ? [{ id: 'a' }] : {}));
    const sql = new ConnectionSql(connection, undefined, false);
    sql.begin();
    await sql.rows('SELECT id FROM t');
    await sql.write('UPDATE t SET v = 1');
    await sql.write('INSERT INTO u (id) VALUES (?)', ['b']);
    await sql.commit();
    expect(trips).toEqual([
      ['START TRANSACTION'],
      ['SELECT id FROM t'],
      ['UPDATE t SET v = 1'],
      ['INSERT INTO u (id) VALUES (?)'],
      ['COMMIT'],
    ]);
  });

  it("joins the parameters of a batch in the statements' order", async () => {
    const sent: unknown[][] = [];
    const connection: MysqlConnection = {
      query: (options, callback) => {
        sent.push(options.values ?? []);
        setImmediate(() =>
          callback(
            null,
            options.sql.split(BATCH_SEPARATOR).map(() => ({})),
          ),
        );
      },
      release: () => undefined,
      destroy: () => undefined,
    };
    const sql = new ConnectionSql(connection, undefined, true);
    sql.begin();
    await sql.write('UPDATE t SET v = ? WHERE id = ?', [1, 'a']);
    await sql.write('INSERT INTO u (id, w) VALUES (?, ?)', ['b', 2]);
    await sql.commit();
    expect(sent).toEqual([[1, 'a', 'b', 2]]);
  });
});

describe("shareWithRunner: TypeORM's statements on the same connection", () => {
  it('queues its BEGIN, sends the queued writes before its statements, and commits through the batch', async () => {
    const { connection, trips } = fakeConnection();
    const sql = new ConnectionSql(connection, undefined, true);
    const typeorm: string[] = [];
    const runner = {
      query: async (text: string) => {
        typeorm.push(text);
        trips.push([`typeorm: ${text}`]);
        return [];
      },
    };
    shareWithRunner(runner, sql);
    await runner.query('START TRANSACTION');
    await sql.write('INSERT INTO t (id) VALUES (?)', ['a']);
    await runner.query('SELECT * FROM t');
    await sql.write('UPDATE t SET v = 1');
    await runner.query('COMMIT');
    expect(typeorm).toEqual(['SELECT * FROM t']);
    expect(trips).toEqual([
      ['START TRANSACTION', 'INSERT INTO t (id) VALUES (?)'],
      ['typeorm: SELECT * FROM t'],
      ['UPDATE t SET v = 1', 'COMMIT'],
    ]);
  });
});
