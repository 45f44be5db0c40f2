import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { schemaBuilder } from './schema-builder';

/**
 * Part 2: one person, many identities. `wechat_identities` becomes `identities`, keyed by
 * (provider, app_id, subject) with the WeChat channel; every existing row is carried over with its id,
 * so grants, bind tickets and code records keep pointing at it and earlier users keep logging in.
 * Also: conflicts of a late unionid, the app-level WeChat tokens, billed phone-number calls, the
 * kept result of a code exchange, and whether the refresh job keeps a grant alive.
 */
export class Identities1764100000000 implements MigrationInterface {
  name = 'Identities1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    const { id, ref, str, time, text, fk, index } = schemaBuilder(mysql);

    await queryRunner.createTable(
      new Table({
        name: 'identities',
        columns: [
          id(),
          str('provider', 16, false),
          str('app_id', 128, false),
          str('subject', 255, false),
          str('unionid', 255),
          str('channel', 24),
          ref('user_id', true),
          str('nickname', 255),
          str('avatar_url', 1024),
          str('email', 255),
          str('language', 16),
          // A provider credential that is not a refreshable grant (mini-program session_key, Apple's
          // refresh token), encrypted like the grants.
          text('secret_enc'),
          str('secret_key_id', 32),
          time('profile_updated_at', true),
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          index('identities', ['provider', 'app_id', 'subject'], true),
          // One account per provider app per user: the race between two people binding one phone ends here.
          index('identities', ['user_id', 'provider', 'app_id'], true),
          index('identities', ['provider', 'unionid']),
        ],
        foreignKeys: [fk('identities', 'user_id', 'users', 'SET NULL')],
      }),
      true,
    );
    await queryRunner.query(
      `INSERT INTO identities (id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url,
         language, profile_updated_at, created_at, updated_at)
       SELECT id, 'wechat', app_id, openid, unionid, 'app', user_id, nickname, avatar_url,
         language, profile_updated_at, created_at, updated_at
       FROM wechat_identities`,
    );
    for (const [table, onDelete] of [
      ['wechat_grants', 'CASCADE'],
      ['code_exchanges', 'SET NULL'],
      ['bind_tickets', 'CASCADE'],
    ] as const) {
      await queryRunner.dropForeignKey(table, `FK_${table}_identity_id`);
      await queryRunner.createForeignKey(table, fk(table, 'identity_id', 'identities', onDelete));
    }
    await queryRunner.dropTable('wechat_identities');

    await queryRunner.addColumn(
      'wechat_grants',
      new TableColumn({ ...str('refresh_mode', 16, false), default: "'auto'" }),
    );
    await queryRunner.addColumns('code_exchanges', [
      new TableColumn(text('result_enc')),
      new TableColumn(str('result_key_id', 32)),
    ]);
    await queryRunner.addColumn('users', new TableColumn(ref('merged_into', true)));

    await queryRunner.createTable(
      new Table({
        name: 'identity_conflicts',
        columns: [
          id(),
          str('provider', 16, false),
          str('unionid', 255, false),
          ref('holder_user_id'),
          ref('other_user_id'),
          time('created_at'),
          time('resolved_at', true),
          ref('kept_user_id', true),
          ref('resolved_by', true),
        ],
        indices: [index('identity_conflicts', ['resolved_at', 'created_at'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'wechat_app_tokens',
        columns: [
          { ...str('app_id', 64, false), isPrimary: true },
          text('token_enc'),
          str('key_id', 32),
          time('expires_at', true),
          str('lease_owner', 64),
          time('lease_expires_at', true),
          time('updated_at'),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'wechat_phone_calls',
        columns: [id(), str('app_id', 64, false), time('created_at')],
        indices: [index('wechat_phone_calls', ['app_id', 'created_at'])],
      }),
      true,
    );
  }

  async down(): Promise<void> {
    throw new Error('Identities1764100000000 is not reversible: restore the backup taken before upgrading');
  }
}
