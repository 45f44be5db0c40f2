import { DataSource } from 'typeorm';
import { SANDBOX_WECHAT_APP, loadAppConfig } from '../../src/config/app-config';
import { sha256Hex } from '../../src/common/secrets';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Database } from '../../src/database/database.service';
import { runMigrations } from '../../src/database/migration-runner';
import { InitialSchema1764000000000 } from '../../src/database/migrations/1764000000000-initial-schema';
import { FakeWechatServer, openidFor } from '../../src/sandbox/fake-wechat/fake-wechat';
import { errorCode, latestCode, loginWithPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

// A database created by the previous release (the initial schema only, wechat_identities and all)
// is migrated at boot, and the people in it keep logging in as the same users.

const now = '2026-06-01 00:00:00.000';
const later = '2030-01-01 00:00:00.000';
const OLD_USER = '01900000-0000-7000-8000-000000000001';
const OLD_IDENTITY = '01900000-0000-7000-8000-000000000002';
const UNBOUND_IDENTITY = '01900000-0000-7000-8000-000000000003';
const OLD_PHONE = '+8613700001111';
const TICKET = 'old-release-bind-ticket-0000000000000000001';

describe('upgrading a database of the previous release', () => {
  let t: TestApp;
  let fake: FakeWechatServer;

  beforeAll(async () => {
    const db = await createTestDatabase();
    const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
    const old = await new DataSource({
      ...buildDataSourceOptions(config.database),
      migrations: [InitialSchema1764000000000],
    }).initialize();
    await runMigrations(old);
    const insert = (sql: string, params: unknown[]) => old.query(sql, params);
    await insert(
      'INSERT INTO users (id, phone, nickname, status, roles, created_at, updated_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [OLD_USER, OLD_PHONE, '老用户', 'active', '', now, now, now],
    );
    await insert(
      'INSERT INTO wechat_identities (id, app_id, openid, unionid, user_id, nickname, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        OLD_IDENTITY,
        SANDBOX_WECHAT_APP.appId,
        openidFor(SANDBOX_WECHAT_APP.appId, 'veteran'),
        null,
        OLD_USER,
        '老用户',
        now,
        now,
      ],
    );
    await insert(
      `INSERT INTO wechat_grants (id, identity_id, access_token_enc, refresh_token_enc, key_id, scope, access_expires_at,
         refresh_expires_at, status, failure_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        '01900000-0000-7000-8000-000000000009',
        OLD_IDENTITY,
        'sealed',
        'sealed',
        'k1',
        'snsapi_userinfo',
        later,
        later,
        'active',
        0,
        now,
        now,
      ],
    );
    await insert(
      'INSERT INTO wechat_identities (id, app_id, openid, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [UNBOUND_IDENTITY, SANDBOX_WECHAT_APP.appId, openidFor(SANDBOX_WECHAT_APP.appId, 'newcomer'), null, now, now],
    );
    await insert(
      'INSERT INTO bind_tickets (id, ticket_hash, identity_id, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ['01900000-0000-7000-8000-000000000004', sha256Hex(TICKET), UNBOUND_IDENTITY, null, now, later],
    );
    await old.destroy();

    fake = new FakeWechatServer({ apps: [SANDBOX_WECHAT_APP] });
    const base = await fake.listen(0);
    t = await startTestApp({
      database: db,
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        WECHAT_API_BASE: base,
        WECHAT_APPS: `${SANDBOX_WECHAT_APP.appId}:${SANDBOX_WECHAT_APP.secret}`,
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('carries every identity over with its id, its grant and its bind ticket', async () => {
    const query = (sql: string, params: unknown[] = []) => t.app.get(Database).dataSource.query(sql, params);
    expect(await query('SELECT id, provider, app_id, subject, channel, user_id FROM identities ORDER BY id')).toEqual([
      {
        id: OLD_IDENTITY,
        provider: 'wechat',
        app_id: SANDBOX_WECHAT_APP.appId,
        subject: openidFor(SANDBOX_WECHAT_APP.appId, 'veteran'),
        channel: 'app',
        user_id: OLD_USER,
      },
      {
        id: UNBOUND_IDENTITY,
        provider: 'wechat',
        app_id: SANDBOX_WECHAT_APP.appId,
        subject: openidFor(SANDBOX_WECHAT_APP.appId, 'newcomer'),
        channel: 'app',
        user_id: null,
      },
    ]);
    expect(await query('SELECT identity_id, refresh_mode FROM wechat_grants')).toEqual([
      { identity_id: OLD_IDENTITY, refresh_mode: 'auto' },
    ]);
    const tables = (await query(
      t.database.dialect === 'mysql'
        ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'wechat_identities'"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'wechat_identities'",
    )) as unknown[];
    expect(tables).toEqual([]);
  });

  it('the person who logged in with WeChat before logs in as the same user', async () => {
    const started = await t.gql<{ startWechatLogin: { state: string } }>(
      'mutation { startWechatLogin(deviceId: "veteran-phone") { state } }',
    );
    const state = started.body.data!.startWechatLogin.state;
    const { code } = fake.authorize({ appid: SANDBOX_WECHAT_APP.appId, state, person: 'veteran' });
    const res = await t.gql<{ wechatLogin: { isBind: boolean; session: { user: { id: string; phone: string } } } }>(
      'mutation L($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind session { user { id phone } } } }',
      { input: { code, state, deviceId: 'veteran-phone' } },
    );
    expect(res.body.data!.wechatLogin).toEqual({ isBind: true, session: { user: { id: OLD_USER, phone: OLD_PHONE } } });
    const phone = await loginWithPhone(t, OLD_PHONE);
    expect(phone.userId).toBe(OLD_USER);
  });

  it('a bind ticket issued before the upgrade still binds a phone', async () => {
    const phone = '+8613700002222';
    const sent = await t.gql('mutation S($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
      input: { phone, purpose: 'BIND_PHONE', bindTicket: TICKET },
    });
    expect(errorCode(sent)).toBeUndefined();
    const bound = await t.gql<{ bindPhone: { user: { phone: string } } }>(
      'mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { user { phone } } }',
      { input: { bindTicket: TICKET, phone, smsCode: latestCode(t, phone) } },
    );
    expect(bound.body.data!.bindPhone.user.phone).toBe(phone);
    const [row] = (await t.app
      .get(Database)
      .dataSource.query('SELECT u.phone AS phone FROM identities i JOIN users u ON u.id = i.user_id WHERE i.id = ?', [
        UNBOUND_IDENTITY,
      ])) as { phone: string }[];
    expect(row.phone).toBe(phone);
  });

  it("re-points the grants' foreign key at identities: removing an identity removes its grant", async () => {
    const database = t.app.get(Database);
    await database.transaction((m) => m.query('DELETE FROM identities WHERE id = ?', [OLD_IDENTITY]));
    expect(await database.dataSource.query('SELECT id FROM wechat_grants')).toEqual([]);
  });
});
