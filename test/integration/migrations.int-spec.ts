import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Database } from '../../src/database/database.service';
import { runMigrations } from '../../src/database/migration-runner';
import { MIGRATIONS } from '../../src/database/migrations';
import { DropRateLimitHits1764610000000 } from '../../src/database/migrations/1764610000000-drop-rate-limit-hits';

const ALL_MIGRATIONS = MIGRATIONS.map((m) => new m().name);
import { createTestDatabase, TestDatabase } from '../support/test-database';

const EXPECTED_TABLES: Record<string, string[]> = {
  users: ['id', 'phone', 'nickname', 'avatar_url', 'status', 'roles', 'created_at', 'last_login_at'],
  identities: ['id', 'provider', 'app_id', 'subject', 'unionid', 'channel', 'user_id', 'nickname', 'avatar_url'],
  identity_conflicts: ['id', 'provider', 'unionid', 'holder_user_id', 'other_user_id', 'resolved_at'],
  wechat_app_tokens: ['app_id', 'token_enc', 'expires_at', 'lease_owner', 'lease_expires_at'],
  wechat_phone_calls: ['id', 'app_id', 'created_at', 'day', 'slot', 'bind_ticket_id'],
  wechat_grants: [
    'id',
    'identity_id',
    'access_token_enc',
    'refresh_token_enc',
    'key_id',
    'scope',
    'access_expires_at',
    'refresh_expires_at',
    'status',
    'lease_owner',
    'lease_expires_at',
    'failure_count',
    'next_attempt_at',
    'refresh_mode',
  ],
  login_states: ['id', 'state_hash', 'device_id', 'expires_at', 'consumed_at'],
  code_exchanges: ['id', 'code_hash', 'state_hash', 'device_id', 'outcome', 'identity_id', 'session_id'],
  bind_tickets: ['id', 'ticket_hash', 'identity_id', 'expires_at', 'consumed_at'],
  sms_codes: ['id', 'phone', 'purpose', 'code_hash', 'expires_at', 'attempts', 'consumed_at', 'requester_ip'],
  rate_limits: ['bucket', 'window_start', 'hits'],
  rate_limit_rows: ['bucket_key', 'hits', 'version', 'expires_ms'],
  rate_limit_slots: ['key_hash', 'window_s', 'slot_ms', 'instance_id', 'hits', 'updated_ms', 'expires_ms'],
  sessions: [
    'id',
    'user_id',
    'refresh_token_hash',
    'family_id',
    'device_id',
    'platform',
    'ip',
    'user_agent',
    'created_at',
    'last_used_at',
    'idle_expires_at',
    'absolute_expires_at',
    'revoked_at',
    'replaced_by',
  ],
  audit_events: ['id', 'action', 'actor_user_id', 'subject_user_id', 'ip', 'details', 'created_at'],
};

function dataSourceFor(db: TestDatabase): DataSource {
  const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
  return new DataSource(buildDataSourceOptions(config.database));
}

const now = '2026-01-01 00:00:00.000';

describe('migrations on an empty database', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await dataSourceFor(db).initialize();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('creates every table of the design, and a second run is a no-op', async () => {
    expect(await runMigrations(ds)).toEqual(ALL_MIGRATIONS);
    const runner = ds.createQueryRunner();
    try {
      for (const [table, columns] of Object.entries(EXPECTED_TABLES)) {
        const found = await runner.getTable(table);
        expect(found?.columns.map((c) => c.name)).toEqual(expect.arrayContaining(columns));
      }
    } finally {
      await runner.release();
    }
    expect(await runMigrations(ds)).toEqual([]);
    const applied = (await ds.query('SELECT name FROM migrations')) as { name: string }[];
    expect(applied.map((r) => r.name)).toEqual(ALL_MIGRATIONS);
  });

  it('leaves no rate_limit_hits (dropped by DropRateLimitHits1764610000000)', async () => {
    const runner = ds.createQueryRunner();
    try {
      expect(await runner.hasTable('rate_limit_hits')).toBe(false);
      expect(await runner.hasTable('rate_limits')).toBe(true);
    } finally {
      await runner.release();
    }
  });

  it('keeps emoji nicknames intact', async () => {
    const nickname = '小龙虾🦞 Lucky☘️';
    await ds.query(
      'INSERT INTO users (id, nickname, status, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ['u-emoji', nickname, 'active', '', now, now],
    );
    const [row] = (await ds.query('SELECT nickname FROM users WHERE id = ?', ['u-emoji'])) as { nickname: string }[];
    expect(row.nickname).toBe(nickname);
  });

  it('compares subjects byte for byte and keeps (provider, app_id, subject) unique', async () => {
    const insert = (id: string, subject: string): Promise<unknown> =>
      ds.query(
        "INSERT INTO identities (id, provider, app_id, subject, created_at, updated_at) VALUES (?, 'wechat', ?, ?, ?, ?)",
        [id, 'wxapp', subject, now, now],
      );
    await insert('i1', 'oAbCdEf');
    await insert('i2', 'oabcdef');
    await expect(insert('i3', 'oAbCdEf')).rejects.toThrow();
    const rows = (await ds.query('SELECT id FROM identities WHERE subject = ?', ['oabcdef'])) as { id: string }[];
    expect(rows.map((r) => r.id)).toEqual(['i2']);
  });

  it('allows many users without a phone but never two with the same phone', async () => {
    const insert = (id: string, phone: string | null): Promise<unknown> =>
      ds.query('INSERT INTO users (id, phone, status, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
        id,
        phone,
        'active',
        '',
        now,
        now,
      ]);
    await insert('n1', null);
    await insert('n2', null);
    await insert('p1', '+8613800138000');
    await expect(insert('p2', '+8613800138000')).rejects.toThrow();
  });
});

describe('DropRateLimitHits1764610000000', () => {
  // The table's shape: columns (name, type, length, precision, null, key) and indexes.
  const shapeOf = async (source: DataSource) => {
    const runner = source.createQueryRunner();
    try {
      const table = await runner.getTable('rate_limit_hits');
      if (!table) return null;
      return {
        columns: table.columns
          .map((c) => [c.name, c.type, c.length, c.precision ?? null, c.isNullable, c.isPrimary].join(' '))
          .sort(),
        indices: table.indices
          .map((i) => `${i.name} (${i.columnNames.join(', ')})${i.isUnique ? ' unique' : ''}`)
          .sort(),
      };
    } finally {
      await runner.release();
    }
  };

  it('runs down (the table back as 1764200000000 made it) and up again', async () => {
    const before = await createTestDatabase();
    const migrated = await createTestDatabase();
    const previous = await new DataSource({
      ...dataSourceFor(before).options,
      migrations: MIGRATIONS.filter((m) => m !== DropRateLimitHits1764610000000),
    }).initialize();
    const current = await dataSourceFor(migrated).initialize();
    try {
      await runMigrations(previous);
      const original = await shapeOf(previous);
      expect(original?.columns).toHaveLength(5);
      expect(original?.indices).toHaveLength(2);
      await previous.query(
        'INSERT INTO rate_limit_hits (id, bucket, seq, created_at, expires_at) VALUES (?, ?, NULL, ?, ?)',
        ['old-hit', 'sms:ip:203.0.113.9', now, now],
      );
      // Up on a database of the previous release: the table goes, rows and all.
      await previous.destroy();
      const upgraded = await dataSourceFor(before).initialize();
      try {
        expect(await runMigrations(upgraded)).toEqual(['DropRateLimitHits1764610000000']);
        expect(await shapeOf(upgraded)).toBeNull();
      } finally {
        await upgraded.destroy();
      }

      await runMigrations(current);
      expect(await shapeOf(current)).toBeNull();
      await current.undoLastMigration({ transaction: 'each' });
      expect(await shapeOf(current)).toEqual(original);
      const applied = (await current.query('SELECT name FROM migrations')) as { name: string }[];
      expect(applied.map((r) => r.name)).not.toContain('DropRateLimitHits1764610000000');
      expect(await runMigrations(current)).toEqual(['DropRateLimitHits1764610000000']);
      expect(await shapeOf(current)).toBeNull();
    } finally {
      if (previous.isInitialized) await previous.destroy();
      await current.destroy();
      await before.drop();
      await migrated.drop();
    }
  });
});

describe('migrations started by several instances', () => {
  it('are applied exactly once (on MySQL all at once, under GET_LOCK)', async () => {
    const db = await createTestDatabase();
    const sources = await Promise.all([1, 2, 3].map(() => dataSourceFor(db).initialize()));
    try {
      // SQLite is the single-instance embedded default: its instances come one after another.
      const results =
        db.dialect === 'mysql'
          ? await Promise.all(sources.map((s) => runMigrations(s)))
          : [await runMigrations(sources[0]), await runMigrations(sources[1]), await runMigrations(sources[2])];
      expect(results.flat()).toEqual(ALL_MIGRATIONS);
      const applied = (await sources[0].query('SELECT name FROM migrations')) as { name: string }[];
      expect(applied).toHaveLength(ALL_MIGRATIONS.length);
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    }
  });
});

describe('the transaction helper', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await dataSourceFor(db).initialize();
    await runMigrations(ds);
    database = new Database(ds);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const insertUser = (manager: { query: (sql: string, params: unknown[]) => Promise<unknown> }, id: string) =>
    manager.query('INSERT INTO users (id, status, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
      id,
      'active',
      '',
      now,
      now,
    ]);

  it('keeps a concurrent transaction apart from one that rolls back', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const failing = database.transaction(async (manager) => {
      await insertUser(manager, 'tx-rolled-back');
      await held;
      throw new Error('boom');
    });
    const succeeding = database.transaction(async (manager) => insertUser(manager, 'tx-committed'));
    setTimeout(release, 20);
    await expect(failing).rejects.toThrow('boom');
    await succeeding;

    const rows = (await ds.query("SELECT id FROM users WHERE id LIKE 'tx-%' ORDER BY id")) as { id: string }[];
    expect(rows.map((r) => r.id)).toEqual(['tx-committed']);
  });

  it('runs many concurrent transactions without losing one', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => database.transaction((manager) => insertUser(manager, `many-${i}`))),
    );
    const [row] = (await ds.query("SELECT COUNT(*) AS n FROM users WHERE id LIKE 'many-%'")) as {
      n: number | string;
    }[];
    expect(Number(row.n)).toBe(25);
  });

  it('answers ping while the database is up and rejects once it is closed', async () => {
    await expect(database.ping(1000)).resolves.toBeUndefined();
    const other = await dataSourceFor(db).initialize();
    const closed = new Database(other);
    await other.destroy();
    await expect(closed.ping(1000)).rejects.toThrow();
  });
});
