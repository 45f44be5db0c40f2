import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';

// Written with the schema builder only, so that the same file runs on SQLite and MySQL/MariaDB.
// Timestamps are UTC with millisecond precision; bearer secrets are stored as SHA-256 hex (64 chars).

// On MySQL every string column is utf8mb4 (nicknames hold emoji) with a binary collation:
// openids, unionids and hashes must compare byte for byte, never case-insensitively.
function buildTables(mysql: boolean): Table[] {
  const charset: Partial<TableColumnOptions> = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
  const id = (name = 'id'): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: '36',
    isPrimary: true,
    ...charset,
  });
  const ref = (name: string, nullable = false): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: '36',
    isNullable: nullable,
    ...charset,
  });
  const str = (name: string, length: number, nullable = true): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable: nullable,
    ...charset,
  });
  const hash = (name: string, nullable = false): TableColumnOptions => str(name, 64, nullable);
  const time = (name: string, nullable = false): TableColumnOptions => ({
    name,
    type: 'datetime',
    precision: 3,
    isNullable: nullable,
  });
  const int = (name: string, fallback = 0): TableColumnOptions => ({
    name,
    type: 'integer',
    isNullable: false,
    default: fallback,
  });
  const text = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true, ...charset });

  // Named, so that the entities name the same constraints (generated names differ per dialect).
  const fk = (from: string, column: string, table: string, onDelete: 'CASCADE' | 'SET NULL'): TableForeignKey =>
    new TableForeignKey({
      name: `FK_${from}_${column}`,
      columnNames: [column],
      referencedTableName: table,
      referencedColumnNames: ['id'],
      onDelete,
      onUpdate: 'NO ACTION',
    });

  const index = (table: string, columns: string[], unique = false): TableIndex =>
    new TableIndex({
      name: `${unique ? 'UQ' : 'IDX'}_${table}_${columns.join('_')}`,
      columnNames: columns,
      isUnique: unique,
    });

  return [
    new Table({
      name: 'users',
      columns: [
        id(),
        str('phone', 20),
        str('nickname', 255),
        str('avatar_url', 1024),
        { ...str('status', 16, false), default: "'active'" },
        { ...str('roles', 255, false), default: "''" },
        time('created_at'),
        time('updated_at'),
        time('last_login_at', true),
        time('deleted_at', true),
      ],
      indices: [index('users', ['phone'], true), index('users', ['created_at', 'id']), index('users', ['status'])],
    }),
    new Table({
      name: 'wechat_identities',
      columns: [
        id(),
        str('app_id', 64, false),
        str('openid', 128, false),
        str('unionid', 128),
        ref('user_id', true),
        str('nickname', 255),
        str('avatar_url', 1024),
        str('language', 16),
        time('profile_updated_at', true),
        time('created_at'),
        time('updated_at'),
      ],
      indices: [
        index('wechat_identities', ['app_id', 'openid'], true),
        // One WeChat person per app per user: the race between two people binding one phone ends here.
        index('wechat_identities', ['user_id', 'app_id'], true),
        index('wechat_identities', ['unionid']),
      ],
      foreignKeys: [fk('wechat_identities', 'user_id', 'users', 'SET NULL')],
    }),
    new Table({
      name: 'wechat_grants',
      columns: [
        id(),
        ref('identity_id'),
        text('access_token_enc'),
        text('refresh_token_enc'),
        str('key_id', 32, false),
        str('scope', 255),
        time('access_expires_at'),
        time('refresh_expires_at'),
        { ...str('status', 24, false), default: "'active'" },
        str('lease_owner', 64),
        time('lease_expires_at', true),
        int('failure_count'),
        time('next_attempt_at', true),
        str('last_error', 64),
        time('last_refreshed_at', true),
        time('created_at'),
        time('updated_at'),
      ],
      indices: [
        index('wechat_grants', ['identity_id'], true),
        index('wechat_grants', ['status', 'access_expires_at']),
        index('wechat_grants', ['lease_expires_at']),
      ],
      foreignKeys: [fk('wechat_grants', 'identity_id', 'wechat_identities', 'CASCADE')],
    }),
    new Table({
      name: 'login_states',
      columns: [
        id(),
        hash('state_hash'),
        str('app_id', 64, false),
        str('device_id', 128),
        str('purpose', 16, false),
        ref('user_id', true),
        time('created_at'),
        time('expires_at'),
        time('consumed_at', true),
      ],
      indices: [index('login_states', ['state_hash'], true), index('login_states', ['expires_at'])],
    }),
    new Table({
      name: 'code_exchanges',
      columns: [
        id(),
        str('app_id', 64, false),
        hash('code_hash'),
        hash('state_hash', true),
        str('device_id', 128),
        str('status', 16, false),
        str('outcome', 32),
        str('error_code', 32),
        ref('identity_id', true),
        ref('user_id', true),
        ref('session_id', true),
        time('created_at'),
        time('updated_at'),
        time('expires_at'),
      ],
      indices: [index('code_exchanges', ['app_id', 'code_hash'], true), index('code_exchanges', ['expires_at'])],
      foreignKeys: [fk('code_exchanges', 'identity_id', 'wechat_identities', 'SET NULL')],
    }),
    new Table({
      name: 'bind_tickets',
      columns: [
        id(),
        hash('ticket_hash'),
        ref('identity_id'),
        str('device_id', 128),
        time('created_at'),
        time('expires_at'),
        time('consumed_at', true),
      ],
      indices: [index('bind_tickets', ['ticket_hash'], true), index('bind_tickets', ['expires_at'])],
      foreignKeys: [fk('bind_tickets', 'identity_id', 'wechat_identities', 'CASCADE')],
    }),
    new Table({
      name: 'sms_codes',
      columns: [
        id(),
        str('phone', 20, false),
        str('purpose', 16, false),
        hash('code_hash'),
        int('attempts'),
        str('requester_ip', 45),
        ref('user_id', true),
        hash('bind_ticket_hash', true),
        time('created_at'),
        time('expires_at'),
        time('consumed_at', true),
        time('revoked_at', true),
      ],
      indices: [
        index('sms_codes', ['phone', 'created_at']),
        index('sms_codes', ['requester_ip', 'created_at']),
        index('sms_codes', ['created_at']),
      ],
    }),
    new Table({
      name: 'sessions',
      columns: [
        id(),
        ref('user_id'),
        // One row per refresh token; the rows of one login share family_id (the `sid` of its JWTs).
        hash('refresh_token_hash'),
        ref('family_id'),
        time('login_at'),
        time('rotated_at', true),
        time('grace_used_at', true),
        str('device_id', 128),
        str('platform', 16),
        str('login_method', 16),
        str('ip', 45),
        str('user_agent', 512),
        time('created_at'),
        time('last_used_at'),
        time('idle_expires_at'),
        time('absolute_expires_at'),
        time('revoked_at', true),
        str('revoked_reason', 32),
        ref('replaced_by', true),
      ],
      indices: [
        index('sessions', ['refresh_token_hash'], true),
        index('sessions', ['user_id', 'revoked_at']),
        index('sessions', ['family_id']),
      ],
      foreignKeys: [fk('sessions', 'user_id', 'users', 'CASCADE')],
    }),
    // Fixed-window counters shared by every instance: SMS send limits and failure lockouts.
    new Table({
      name: 'rate_limits',
      columns: [{ ...str('bucket', 191, false), isPrimary: true }, time('window_start'), int('hits')],
    }),
    new Table({
      name: 'audit_events',
      columns: [
        id(),
        str('action', 64, false),
        ref('actor_user_id', true),
        ref('subject_user_id', true),
        str('ip', 45),
        str('request_id', 64),
        text('details'),
        time('created_at'),
      ],
      indices: [
        index('audit_events', ['created_at', 'id']),
        index('audit_events', ['subject_user_id', 'created_at']),
        index('audit_events', ['action', 'created_at']),
      ],
    }),
  ];
}

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    for (const table of buildTables(mysql)) {
      await queryRunner.createTable(table, true);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of buildTables(false).reverse()) {
      await queryRunner.dropTable(table.name, true);
    }
  }
}
