import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, latestCode, loginWithPhone, LoggedIn, ME, nextPhone, sendCode } from '../support/flows';
import { startTestApp } from '../support/test-app';
import { authorizeOnPhone, loginAndBind, startWechatWorld, wechatLogin, WechatWorld } from '../support/wechat';

const ADMIN_PHONE = '+8613900000009';

// Every admin operation of the contract, with arguments that make sense for any caller.
const ADMIN_OPERATIONS: [string, (userId: string) => string][] = [
  ['adminUsers', () => '{ adminUsers { total items { id } nextCursor } }'],
  ['adminUser', (id) => `{ adminUser(id: "${id}") { id } }`],
  ['adminAuditEvents', () => '{ adminAuditEvents { items { id action } nextCursor } }'],
  [
    'adminLoginStats',
    () => '{ adminLoginStats { wechatLogins phoneLogins newUsers bindings failuresByCode { code count } } }',
  ],
  [
    'adminTokenRefreshStatus',
    () =>
      '{ adminTokenRefreshStatus { active dueWithinWindow reauthRequired lastRunAt lastRunRefreshed lastRunFailed } }',
  ],
  ['adminBanUser', (id) => `mutation { adminBanUser(id: "${id}", reason: "spam") { id status } }`],
  ['adminUnbanUser', (id) => `mutation { adminUnbanUser(id: "${id}") { id status } }`],
  ['adminUnlinkWechat', (id) => `mutation { adminUnlinkWechat(userId: "${id}") { id } }`],
  ['adminRevokeSessions', (id) => `mutation { adminRevokeSessions(userId: "${id}") }`],
  ['adminRunTokenRefresh', () => 'mutation { adminRunTokenRefresh { active lastRunAt } }'],
];

describe('admin API', () => {
  let w: WechatWorld;
  let admin: LoggedIn;

  beforeAll(async () => {
    w = await startWechatWorld({ ADMIN_PHONES: ADMIN_PHONE });
    admin = await loginWithPhone(w.t, ADMIN_PHONE);
  });

  afterAll(async () => {
    await w.close();
  });

  const asAdmin = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
    w.t.gql<T>(query, variables, bearer(admin.accessToken));

  it('refuses every admin operation to anonymous callers and ordinary users, and serves admins', async () => {
    const user = await loginWithPhone(w.t, nextPhone('130'));
    const target = await loginWithPhone(w.t, nextPhone('130'));
    for (const [name, build] of ADMIN_OPERATIONS) {
      const query = build(target.userId);
      const anonymous = await w.t.gql(query);
      const ordinary = await w.t.gql(query, undefined, bearer(user.accessToken));
      const allowed = await asAdmin(query);
      expect({
        name,
        anonymous: errorCode(anonymous),
        ordinary: errorCode(ordinary),
        admin: allowed.body.errors,
      }).toEqual({
        name,
        anonymous: 'UNAUTHENTICATED',
        ordinary: 'FORBIDDEN',
        admin: undefined,
      });
    }
  });

  it('pages users with a cursor, newest first, without overlap', async () => {
    for (let i = 0; i < 5; i++) await loginWithPhone(w.t, nextPhone('131'));
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    do {
      const res: Awaited<
        ReturnType<
          typeof asAdmin<{ adminUsers: { items: { id: string }[]; total: number; nextCursor: string | null } }>
        >
      > = await asAdmin(
        'query($after: String) { adminUsers(first: 2, after: $after) { items { id } total nextCursor } }',
        { after },
      );
      const page = res.body.data!.adminUsers;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.id));
      total = page.total;
      after = page.nextCursor;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(total);
    expect(total).toBeGreaterThanOrEqual(6);
    expect(errorCode(await asAdmin('{ adminUsers(first: 500) { total } }'))).toBe('BAD_USER_INPUT');
    expect(errorCode(await asAdmin('{ adminUsers(after: "garbage") { total } }'))).toBe('BAD_USER_INPUT');
  });

  it('finds users by phone, nickname, openid and unionid', async () => {
    const phone = nextPhone('132');
    const { userId } = await loginAndBind(w, 'findable', phone);
    const auth = await authorizeOnPhone(w, { person: 'findable' });
    const [identity] = (await w.t.app
      .get(Database)
      .dataSource.query('SELECT nickname FROM identities WHERE subject = ?', [auth.openid])) as {
      nickname: string;
    }[];
    const find = async (search: string) =>
      (
        await asAdmin<{
          adminUsers: { items: { id: string; phone: string; wechatIdentities: { openid: string }[] }[] };
        }>(
          'query($s: String) { adminUsers(search: $s) { items { id phone wechatIdentities { openid unionid grantStatus } } } }',
          { s: search },
        )
      ).body.data!.adminUsers.items.map((u) => u.id);
    expect(await find(phone.replace('+86', ''))).toEqual([userId]);
    expect(await find(auth.openid)).toEqual([userId]);
    expect(await find(auth.unionid)).toEqual([userId]);
    expect(await find(identity.nickname)).toContain(userId);
    expect(await find('100%_no_such')).toEqual([]);
  });

  it('bans (ending every session at once) and unbans', async () => {
    const phone = nextPhone('134');
    const user = await loginWithPhone(w.t, phone);
    const banned = await asAdmin<{ adminBanUser: { status: string; activeSessions: number } }>(
      'mutation($id: ID!) { adminBanUser(id: $id, reason: "fraud") { status activeSessions } }',
      { id: user.userId },
    );
    expect(banned.body.data).toEqual({ adminBanUser: { status: 'BANNED', activeSessions: 0 } });
    expect(errorCode(await w.t.gql(ME, undefined, bearer(user.accessToken)))).toBe('UNAUTHENTICATED');
    w.t.app.get(Clock).advance(61);
    await sendCode(w.t, phone);
    const login = await w.t.gql('mutation($i: PhoneLoginInput!) { loginWithPhone(input: $i) { accessToken } }', {
      i: { phone, smsCode: latestCode(w.t, phone) },
    });
    expect(errorCode(login)).toBe('USER_BANNED');
    const unbanned = await asAdmin<{ adminUnbanUser: { status: string } }>(
      'mutation($id: ID!) { adminUnbanUser(id: $id) { status } }',
      { id: user.userId },
    );
    expect(unbanned.body.data).toEqual({ adminUnbanUser: { status: 'ACTIVE' } });
    expect(
      errorCode(
        await asAdmin('mutation($id: ID!) { adminBanUser(id: $id, reason: "x") { id } }', { id: admin.userId }),
      ),
    ).toBe('FORBIDDEN');
  });

  it("revokes a user's sessions and unlinks their WeChat", async () => {
    const phone = nextPhone('135');
    const session = await loginAndBind(w, 'admin-target', phone);
    const revoked = await asAdmin<{ adminRevokeSessions: number }>(
      'mutation($id: ID!) { adminRevokeSessions(userId: $id) }',
      { id: session.userId },
    );
    expect(revoked.body.data!.adminRevokeSessions).toBe(1);
    expect(errorCode(await w.t.gql(ME, undefined, bearer(session.accessToken)))).toBe('UNAUTHENTICATED');
    const unlinked = await asAdmin<{ adminUnlinkWechat: { wechatIdentities: unknown[] } }>(
      'mutation($id: ID!) { adminUnlinkWechat(userId: $id) { wechatIdentities { openid } } }',
      { id: session.userId },
    );
    expect(unlinked.body.data!.adminUnlinkWechat.wechatIdentities).toEqual([]);
  });

  it('pages the audit log and counts logins from it', async () => {
    const res = await asAdmin<{
      adminAuditEvents: { items: { action: string; details: string | null }[]; nextCursor: string | null };
    }>('{ adminAuditEvents(first: 3) { items { action details actorUserId subjectUserId ip createdAt } nextCursor } }');
    expect(res.body.data!.adminAuditEvents.items).toHaveLength(3);
    expect(res.body.data!.adminAuditEvents.nextCursor).toEqual(expect.any(String));
    const bans = await asAdmin<{ adminAuditEvents: { items: { action: string }[] } }>(
      '{ adminAuditEvents(action: "admin.ban") { items { action } } }',
    );
    const banActions = bans.body.data!.adminAuditEvents.items.map((e) => e.action);
    expect(banActions.length).toBeGreaterThanOrEqual(1);
    expect(new Set(banActions)).toEqual(new Set(['admin.ban']));
    // A returning WeChat user, for the counts below.
    await loginAndBind(w, 'returning', nextPhone('138'));
    const again = await authorizeOnPhone(w, { person: 'returning' });
    expect((await wechatLogin(w, { code: again.code, state: again.state })).body.data!.wechatLogin.isBind).toBe(true);
    const stats = await asAdmin<{
      adminLoginStats: {
        phoneLogins: number;
        wechatLogins: number;
        bindings: number;
        newUsers: number;
        failuresByCode: { code: string }[];
      };
    }>('{ adminLoginStats { wechatLogins phoneLogins newUsers bindings failuresByCode { code count } } }');
    const s = stats.body.data!.adminLoginStats;
    const countOf = async (sql: string) =>
      Number(((await w.t.app.get(Database).dataSource.query(sql)) as { n: number }[])[0].n);
    expect(s).toEqual(
      expect.objectContaining({
        phoneLogins: await countOf("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'login.phone'"),
        wechatLogins: await countOf("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'login.wechat'"),
        bindings: await countOf("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'wechat.bind'"),
        newUsers: await countOf('SELECT COUNT(*) AS n FROM users'),
      }),
    );
    expect(s.phoneLogins).toBeGreaterThanOrEqual(9);
    expect(s.wechatLogins).toBeGreaterThanOrEqual(1);
    expect(s.bindings).toBeGreaterThanOrEqual(3);
    expect(s.failuresByCode.map((f) => f.code)).toContain('USER_BANNED');
  });

  it('keeps an audit event for every kind of action, with no secret or full phone number', async () => {
    // The actions of this file so far, plus the self-service ones.
    const user = await loginWithPhone(w.t, nextPhone('136'));
    const link = await authorizeOnPhone(w, { person: 'audited-linker', headers: bearer(user.accessToken) });
    await w.t.gql(
      'mutation($i: LinkWechatInput!) { linkWechat(input: $i) { id } }',
      { i: { code: link.code, state: link.state, deviceId: 'device-1' } },
      bearer(user.accessToken),
    );
    await w.t.gql('mutation { unlinkWechat { id } }', undefined, bearer(user.accessToken));
    const sid = (
      await w.t.gql<{ mySessions: { id: string }[] }>('{ mySessions { id } }', undefined, bearer(user.accessToken))
    ).body.data!.mySessions[0].id;
    w.t.app.get(Clock).advance(61);
    const other = await loginWithPhone(w.t, user.phone);
    await w.t.gql('mutation($id: ID!) { revokeSession(id: $id) }', { id: sid }, bearer(other.accessToken));
    w.t.app.get(Clock).advance(61);
    await sendCode(w.t, user.phone, 'DELETE_ACCOUNT', bearer(other.accessToken));
    await w.t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(w.t, user.phone) },
      bearer(other.accessToken),
    );
    const self = await loginWithPhone(w.t, nextPhone('136'));
    await w.t.gql('mutation { logout }', undefined, bearer(self.accessToken));
    const events = (
      await asAdmin<{ adminAuditEvents: { items: { action: string; details: string | null; ip: string | null }[] } }>(
        '{ adminAuditEvents(first: 100) { items { action details ip } } }',
      )
    ).body.data!.adminAuditEvents.items;
    const actions = new Set(events.map((e) => e.action));
    for (const action of [
      'login.phone',
      'login.wechat',
      'wechat.bind',
      'session.logout',
      'login.failed',
      'admin.ban',
      'admin.unban',
      'admin.revoke_sessions',
      'admin.unlink_wechat',
      'admin.run_token_refresh',
    ]) {
      expect({ action, present: actions.has(action) }).toEqual({ action, present: true });
    }
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/\+86\d{11}|(?<!\d)1[3-9]\d{9}(?!\d)/);
    expect(text).not.toContain(admin.accessToken);
  });
});

describe('schema help in production', () => {
  it('answers introspection and suggestions for admins only', async () => {
    const t = await startTestApp({
      env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: ADMIN_PHONE },
      override: (config) => ({ ...config, mode: 'production' }),
    });
    try {
      const adminUser = await loginWithPhone(t, ADMIN_PHONE);
      const user = await loginWithPhone(t, nextPhone('137'));
      const introspect = '{ __schema { queryType { name } } }';
      expect((await t.gql(introspect, undefined, bearer(adminUser.accessToken))).body.data).toEqual({
        __schema: { queryType: { name: 'Query' } },
      });
      expect(errorCode(await t.gql(introspect, undefined, bearer(user.accessToken)))).toBe('FORBIDDEN');
      const typo = '{ loginOptions(platform: IOS, wechatInstalled: true) { method } }';
      expect((await t.gql(typo, undefined, bearer(adminUser.accessToken))).body.errors![0].message).toContain(
        'Did you mean',
      );
      expect((await t.gql(typo, undefined, bearer(user.accessToken))).body.errors![0].message).not.toContain(
        'Did you mean',
      );
    } finally {
      await t.close();
    }
  });
});
