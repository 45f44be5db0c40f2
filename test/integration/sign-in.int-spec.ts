import { RequestMeta } from '../../src/common/request-meta';
import { Database } from '../../src/database/database.service';
import { DomainError } from '../../src/errors/domain-error';
import { AccountLinkingService } from '../../src/identities/account-linking.service';
import { BindTicketsService } from '../../src/identities/bind-tickets.service';
import { PhoneBindingService } from '../../src/identities/phone-binding.service';
import { SignInService } from '../../src/identities/sign-in.service';
import { VerifiedIdentity } from '../../src/identities/verified-identity';
import { SessionsService } from '../../src/sessions/sessions.service';
import { UsersService } from '../../src/users/users.service';
import { nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// The one sign-in core, against a real database: every way to a session asks the one sign-in policy,
// and a login leaves exactly one audit row.
describe('the sign-in core', () => {
  let t: TestApp;
  let database: Database;
  let core: SignInService;
  let linking: AccountLinkingService;
  const meta: RequestMeta = { ip: '203.0.113.7', userAgent: 'sign-in spec' };
  let subjects = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    database = t.app.get(Database);
    core = t.app.get(SignInService);
    linking = t.app.get(AccountLinkingService);
  });

  afterAll(async () => {
    await t.close();
  });

  const query = <T>(text: string, params: unknown[]): Promise<T[]> =>
    database.dataSource.query(text, params) as Promise<T[]>;

  async function newUser(status: 'active' | 'banned' | 'deleted' = 'active'): Promise<{ id: string; phone: string }> {
    const phone = nextPhone('137');
    const { user } = await database.transaction((m) => t.app.get(UsersService).findOrCreateByPhone(m, phone));
    await setStatus(user.id, status);
    return { id: user.id, phone };
  }

  async function setStatus(userId: string, status: 'active' | 'banned' | 'deleted'): Promise<void> {
    // Erasure clears the phone too: a deleted user is nobody's number any more.
    if (status === 'deleted') await query("UPDATE users SET status = 'deleted', phone = NULL WHERE id = ?", [userId]);
    else await query('UPDATE users SET status = ? WHERE id = ?', [status, userId]);
  }

  function appleIdentity(extra: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
    subjects += 1;
    return {
      provider: 'apple',
      appId: 'com.example.signin',
      subject: `sign-in-spec-${subjects}`,
      unionid: null,
      channel: null,
      profile: {},
      ...extra,
    };
  }

  /** An Apple identity of `status`'s user, linked while the user could still sign in. */
  async function linkedIdentity(
    status: 'active' | 'banned' | 'deleted',
  ): Promise<{ userId: string; verified: VerifiedIdentity }> {
    const user = await newUser();
    const verified = appleIdentity();
    await database.transaction((m) => linking.link(m, verified, user.id, meta));
    await setStatus(user.id, status);
    return { userId: user.id, verified };
  }

  async function auditActions(userId: string): Promise<string[]> {
    const rows = await query<{ action: string }>(
      'SELECT action FROM audit_events WHERE subject_user_id = ? ORDER BY created_at, id',
      [userId],
    );
    return rows.map((r) => r.action);
  }

  async function liveSessions(userId: string): Promise<number> {
    const [row] = await query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL',
      [userId],
    );
    return Number(row.n);
  }

  async function failuresOf(userId: string): Promise<string[]> {
    const rows = await query<{ details: string }>("SELECT details FROM audit_events WHERE action = 'login.failed'", []);
    return rows
      .map((r) => JSON.parse(r.details) as { userId?: string; code: string })
      .filter((d) => d.userId === userId)
      .map((d) => d.code);
  }

  async function codeOf(work: Promise<unknown>): Promise<string> {
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }

  describe('refuses a user the sign-in policy refuses, on every path, and starts no session', () => {
    const refused = [
      ['banned', 'USER_BANNED'],
      ['deleted', 'UNAUTHENTICATED'],
    ] as const;

    it.each(['PHONE', 'CARRIER'] as const)(
      '%s login of a banned owner: USER_BANNED, recorded once with the user',
      async (method) => {
        const user = await newUser('banned');
        expect(await codeOf(core.signInByPhone(user.phone, method, { deviceId: 'd1' }, meta))).toBe('USER_BANNED');
        expect(await liveSessions(user.id)).toBe(0);
        expect(await auditActions(user.id)).toEqual([]);
        expect(await failuresOf(user.id)).toEqual(['USER_BANNED']);
      },
    );

    it.each(refused)('a provider login of a %s owner: %s', async (status, code) => {
      const { userId, verified } = await linkedIdentity(status);
      const before = await auditActions(userId);
      expect(await codeOf(database.transaction((m) => linking.signIn(m, verified, { deviceId: 'd1' }, meta)))).toBe(
        code,
      );
      expect(await liveSessions(userId)).toBe(0);
      expect(await auditActions(userId)).toEqual(before);
    });

    it.each(refused)('signInUser with a %s user: %s', async (status, code) => {
      const user = await newUser(status);
      const found = await t.app.get(UsersService).findById(user.id);
      const login = { method: 'PHONE' as const, device: {}, meta, audit: { action: 'login.phone', details: {} } };
      expect(await codeOf(database.transaction((m) => core.signInUser(m, found, login)))).toBe(code);
      expect(await codeOf(database.transaction((m) => core.signInUserId(m, user.id, login)))).toBe(code);
      expect(await liveSessions(user.id)).toBe(0);
    });

    it('signInUser with nobody: UNAUTHENTICATED', async () => {
      const login = { method: 'PHONE' as const, device: {}, meta, audit: null };
      expect(await codeOf(database.transaction((m) => core.signInUser(m, null, login)))).toBe('UNAUTHENTICATED');
    });

    it("binding a first login's ticket to a banned user's phone: USER_BANNED, the ticket's identity stays free", async () => {
      const owner = await newUser('banned');
      const verified = appleIdentity();
      const first = await database.transaction((m) => linking.signIn(m, verified, {}, meta));
      expect(first.bindTicket).not.toBeNull();
      const ticket = await t.app.get(BindTicketsService).findLive(first.bindTicket!.ticket);
      const binding = t.app.get(PhoneBindingService);
      expect(await codeOf(binding.bindVerifiedPhone(ticket!, owner.phone, {}, meta))).toBe('USER_BANNED');
      const [row] = await query<{ user_id: string | null }>('SELECT user_id FROM identities WHERE id = ?', [
        first.identity.id,
      ]);
      expect(row.user_id).toBeNull();
      expect(await liveSessions(owner.id)).toBe(0);
    });

    it('an idempotent re-login (resume): a banned user is refused, a deleted one has no session to resume', async () => {
      const user = await newUser();
      const { tokens } = await core.signInByPhone(user.phone, 'PHONE', {}, meta);
      await setStatus(user.id, 'banned');
      expect(await codeOf(database.transaction((m) => linking.resumeSession(m, user.id, tokens.sessionId)))).toBe(
        'USER_BANNED',
      );
      await setStatus(user.id, 'deleted');
      expect(await database.transaction((m) => linking.resumeSession(m, user.id, tokens.sessionId))).toBeNull();
    });

    it.each(refused)(
      'a session of a user since %s: its access token and its refresh token answer %s',
      async (status, code) => {
        const user = await newUser();
        const { tokens } = await core.signInByPhone(user.phone, 'PHONE', {}, meta);
        await setStatus(user.id, status);
        const sessions = t.app.get(SessionsService);
        expect(await codeOf(sessions.authenticate(tokens.accessToken))).toBe(code);
        expect(await codeOf(sessions.refresh(tokens.refreshToken, meta))).toBe(code);
      },
    );
  });

  describe('one audit row per login', () => {
    it.each([
      ['PHONE', 'login.phone'],
      ['CARRIER', 'login.carrier'],
    ] as const)('%s login of a returning user: a session and one %s row', async (method, action) => {
      const user = await newUser();
      const signedIn = await core.signInByPhone(user.phone, method, { deviceId: 'd1', platform: null }, meta);
      expect(signedIn.user.id).toBe(user.id);
      expect(signedIn.user.lastLoginAt).not.toBeNull();
      expect(await liveSessions(user.id)).toBe(1);
      expect(await auditActions(user.id)).toEqual([action]);
    });

    it('PHONE login of a new number: one user, one session, one login.phone row saying so', async () => {
      const phone = nextPhone('137');
      const { user } = await core.signInByPhone(phone, 'PHONE', {}, meta);
      expect(await liveSessions(user.id)).toBe(1);
      const rows = await query<{ action: string; details: string }>(
        'SELECT action, details FROM audit_events WHERE subject_user_id = ?',
        [user.id],
      );
      expect(rows.map((r) => r.action)).toEqual(['login.phone']);
      expect(JSON.parse(rows[0].details)).toEqual(expect.objectContaining({ method: 'PHONE', newUser: true }));
      expect(rows[0].details).not.toContain(phone);
    });

    it('ten first logins of one new number at once: one user, each a session of it and its own login.phone row', async () => {
      const phone = nextPhone('137');
      const logins = await Promise.all(
        Array.from({ length: 10 }, () => core.signInByPhone(phone, 'PHONE', { deviceId: 'd1' }, meta)),
      );
      const ids = new Set(logins.map((login) => login.user.id));
      expect(ids.size).toBe(1);
      const [userId] = [...ids];
      expect(await query('SELECT id FROM users WHERE phone = ?', [phone])).toEqual([{ id: userId }]);
      expect(await liveSessions(userId)).toBe(10);
      const rows = await query<{ details: string }>(
        "SELECT details FROM audit_events WHERE subject_user_id = ? AND action = 'login.phone'",
        [userId],
      );
      expect(rows.map((row) => (JSON.parse(row.details) as { newUser: boolean }).newUser).sort()).toEqual([
        ...Array<boolean>(9).fill(false),
        true,
      ]);
    });

    it('a provider login of a linked identity: one session, one login.apple row', async () => {
      const { userId, verified } = await linkedIdentity('active');
      const before = await auditActions(userId);
      const outcome = await database.transaction((m) => linking.signIn(m, verified, { deviceId: 'd1' }, meta));
      expect(outcome.session?.user.id).toBe(userId);
      expect(await liveSessions(userId)).toBe(1);
      expect(await auditActions(userId)).toEqual([...before, 'login.apple']);
    });

    it('a first login finished by binding a phone: one session, the apple.bind row alone', async () => {
      const owner = await newUser();
      const first = await database.transaction((m) => linking.signIn(m, appleIdentity(), {}, meta));
      const ticket = await t.app.get(BindTicketsService).findLive(first.bindTicket!.ticket);
      const signedIn = await t.app.get(PhoneBindingService).bindVerifiedPhone(ticket!, owner.phone, {}, meta);
      expect(signedIn.user.id).toBe(owner.id);
      expect(await liveSessions(owner.id)).toBe(1);
      expect(await auditActions(owner.id)).toEqual(['apple.bind']);
    });

    it("a first login carrying a free verified phone: a new user, one session, the provider's bind row alone", async () => {
      const verified = appleIdentity({ provider: 'huawei', verifiedPhone: nextPhone('137') });
      const outcome = await database.transaction((m) => linking.signIn(m, verified, {}, meta));
      const userId = outcome.session!.user.id;
      expect(await liveSessions(userId)).toBe(1);
      expect(await auditActions(userId)).toEqual(['huawei.bind']);
    });
  });
});
