import { Clock } from '../../src/common/clock';
import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { Database } from '../../src/database/database.service';
import { TokenCipher } from '../../src/common/token-cipher';
import { startTestApp } from '../support/test-app';
import { SmsOutbox } from '../../src/sandbox/sms-outbox';
import { errorCode, latestCode, LOGIN, loginWithPhone, ME, nextPhone, REFRESH } from '../support/flows';
import {
  authorizeOnPhone,
  bearer,
  BIND_PHONE,
  loginAndBind,
  SECOND_APP,
  START,
  startWechatWorld,
  wechatLogin,
  WechatWorld,
} from '../support/wechat';
import { leakedSecrets } from '../support/log-secrets';

describe('WeChat login', () => {
  let w: WechatWorld;
  let clock: Clock;
  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await w.t.app.get(Database).dataSource.query(sql, params)) as T[];
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await query<{ n: number }>(sql, params))[0].n);
  const sendBindCode = (phone: string, bindTicket: string | null) =>
    w.t.gql('mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
      input: { phone, purpose: 'BIND_PHONE', bindTicket },
    });
  const bind = (bindTicket: string | null, phone: string, smsCode: string) =>
    w.t.gql<{ bindPhone: { accessToken: string; user: { id: string } } }>(BIND_PHONE, {
      input: { bindTicket, phone, smsCode, deviceId: 'device-1' },
    });

  beforeAll(async () => {
    w = await startWechatWorld();
    clock = w.t.app.get(Clock);
  });

  afterAll(async () => {
    await w.close();
  });

  beforeEach(() => {
    w.fake.clearFaults();
    w.fake.clearCalls();
  });

  describe('phone login × WeChat binding × multiple accounts', () => {
    it('a first WeChat login asks for a phone; the next one logs in at once', async () => {
      const first = await authorizeOnPhone(w, { person: 'first-timer' });
      const res = await wechatLogin(w, { code: first.code, state: first.state });
      const result = res.body.data!.wechatLogin;
      expect(result).toEqual({
        isBind: false,
        bindTicket: expect.any(String),
        bindTicketExpiresAt: expect.any(String),
        session: null,
        wechatProfile: {
          openid: first.openid,
          unionid: first.unionid,
          nickname: expect.any(String),
          avatarUrl: expect.stringMatching(/^http:\/\//),
        },
      });
      expect(w.fake.calls().map((c) => c.endpoint)).toEqual(['access_token', 'userinfo']);
      const phone = nextPhone('150');
      expect((await sendBindCode(phone, result.bindTicket)).body.errors).toBeUndefined();
      const bound = await bind(result.bindTicket, phone, latestCode(w.t, phone));
      expect(bound.body.errors).toBeUndefined();
      const userId = bound.body.data!.bindPhone.user.id;

      const again = await authorizeOnPhone(w, { person: 'first-timer' });
      const second = (await wechatLogin(w, { code: again.code, state: again.state })).body.data!.wechatLogin;
      expect(second.isBind).toBe(true);
      expect(second.session!.user).toEqual({ id: userId, phone, wechatLinked: true, nickname: expect.any(String) });
      // The bind ticket was single use.
      expect(errorCode(await bind(result.bindTicket, phone, '123456'))).toBe('BIND_TICKET_INVALID');
    });

    it('phone first, then WeChat: the WeChat person joins the phone user', async () => {
      const phone = nextPhone('151');
      const phoneUser = await loginWithPhone(w.t, phone);
      clock.advance(61);
      const session = await loginAndBind(w, 'phone-first', phone);
      expect(session.userId).toBe(phoneUser.userId);
      const me = await w.t.gql<{ me: { wechatLinked: boolean; nickname: string | null } }>(
        ME,
        undefined,
        bearer(session.accessToken),
      );
      expect(me.body.data!.me.wechatLinked).toBe(true);
      expect(me.body.data!.me.nickname).toEqual(expect.any(String));
    });

    it('WeChat first, then phone login: the phone logs into the same user', async () => {
      const phone = nextPhone('152');
      const session = await loginAndBind(w, 'wechat-first', phone);
      clock.advance(61);
      expect((await loginWithPhone(w.t, phone)).userId).toBe(session.userId);
    });

    it('one phone wanted by two WeChat persons: the second gets PHONE_ALREADY_BOUND and nothing changes', async () => {
      const phone = nextPhone('153');
      const owner = await loginAndBind(w, 'rightful-owner', phone);
      clock.advance(61);
      const other = await authorizeOnPhone(w, { person: 'someone-else' });
      const ticket = (await wechatLogin(w, { code: other.code, state: other.state })).body.data!.wechatLogin.bindTicket;
      await sendBindCode(phone, ticket);
      const sessionsBefore = await count('SELECT COUNT(*) AS n FROM sessions');

      // The SMS code is checked before anything is said about the phone's account.
      expect(
        errorCode(await bind(ticket, phone, String((Number(latestCode(w.t, phone)) + 1) % 1e6).padStart(6, '0'))),
      ).toBe('SMS_CODE_INVALID');
      const res = await bind(ticket, phone, latestCode(w.t, phone));
      expect(errorCode(res)).toBe('PHONE_ALREADY_BOUND');
      expect(res.body.data).toBeNull();
      expect(await count('SELECT COUNT(*) AS n FROM sessions')).toBe(sessionsBefore);
      const [identity] = await query<{ user_id: string | null }>('SELECT user_id FROM identities WHERE subject = ?', [
        other.openid,
      ]);
      expect(identity.user_id).toBeNull();
      expect(await count('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [owner.userId])).toBe(1);
    });

    it('one person across two apps sharing a unionid is one user', async () => {
      const phone = nextPhone('155');
      const first = await loginAndBind(w, 'two-apps', phone);
      const other = await authorizeOnPhone(w, { person: 'two-apps', appId: SECOND_APP.appId });
      const res = (await wechatLogin(w, { code: other.code, state: other.state, appId: SECOND_APP.appId })).body.data!
        .wechatLogin;
      expect(res.isBind).toBe(true);
      expect(res.session!.user.id).toBe(first.userId);
      expect(await count('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [first.userId])).toBe(2);
    });

    it('a unionid missing at first and appearing later is attached, and joins the other app', async () => {
      const phone = nextPhone('156');
      const auth = await authorizeOnPhone(w, { person: 'late-unionid', withoutUnionid: true });
      const first = (await wechatLogin(w, { code: auth.code, state: auth.state })).body.data!.wechatLogin;
      expect(first.wechatProfile.unionid).toBeNull();
      await sendBindCode(phone, first.bindTicket);
      const bound = await bind(first.bindTicket, phone, latestCode(w.t, phone));
      const userId = bound.body.data!.bindPhone.user.id;
      expect(
        (await query<{ unionid: null }>('SELECT unionid FROM identities WHERE subject = ?', [auth.openid]))[0].unionid,
      ).toBeNull();

      const later = await authorizeOnPhone(w, { person: 'late-unionid' });
      const second = (await wechatLogin(w, { code: later.code, state: later.state })).body.data!.wechatLogin;
      expect(second.session!.user.id).toBe(userId);
      const [row] = await query<{ unionid: string }>('SELECT unionid FROM identities WHERE subject = ?', [auth.openid]);
      expect(row.unionid).toBe(later.unionid);

      const otherApp = await authorizeOnPhone(w, { person: 'late-unionid', appId: SECOND_APP.appId });
      const joined = (await wechatLogin(w, { code: otherApp.code, state: otherApp.state, appId: SECOND_APP.appId }))
        .body.data!.wechatLogin;
      expect(joined.session!.user.id).toBe(userId);
    });

    it('never matches people by nickname', async () => {
      const a = await loginAndBind(w, 'twin-a', nextPhone('157'));
      w.fake.updateProfile('twin-a', { nickname: '同名' });
      const b = await authorizeOnPhone(w, { person: 'twin-b', nickname: '同名' });
      const res = (await wechatLogin(w, { code: b.code, state: b.state })).body.data!.wechatLogin;
      expect(res.isBind).toBe(false);
      expect(a.userId).toEqual(expect.any(String));
    });
  });

  describe('state', () => {
    const expectStateInvalid = async (input: Parameters<typeof wechatLogin>[1]) => {
      const res = await wechatLogin(w, input);
      expect(errorCode(res)).toBe('STATE_INVALID');
      expect(w.fake.calls()).toEqual([]);
    };

    it('is handed out with the AppID and scope the SDK needs', async () => {
      const res = await w.t.gql<{ startWechatLogin: Record<string, string> }>(START, { deviceId: 'd' });
      expect(res.body.data!.startWechatLogin).toEqual({
        appId: SANDBOX_WECHAT_APP.appId,
        scope: 'snsapi_userinfo',
        state: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
        expiresAt: expect.any(String),
      });
    });

    it('missing: STATE_INVALID without calling WeChat', async () => {
      const auth = await authorizeOnPhone(w);
      await expectStateInvalid({ code: auth.code, state: null });
    });

    it('unknown: STATE_INVALID', async () => {
      const auth = await authorizeOnPhone(w);
      await expectStateInvalid({ code: auth.code, state: 'made-up-state-value' });
    });

    it('expired after 10 minutes: STATE_INVALID', async () => {
      const auth = await authorizeOnPhone(w);
      clock.advance(601);
      await expectStateInvalid({ code: auth.code, state: auth.state });
    });

    it('used: STATE_INVALID', async () => {
      const auth = await authorizeOnPhone(w);
      expect((await wechatLogin(w, { code: auth.code, state: auth.state })).body.errors).toBeUndefined();
      w.fake.clearCalls();
      const second = w.fake.authorize({ appid: SANDBOX_WECHAT_APP.appId });
      await expectStateInvalid({ code: second.code, state: auth.state });
    });

    it('foreign (issued to another device): STATE_INVALID', async () => {
      const auth = await authorizeOnPhone(w, { deviceId: 'device-owner' });
      await expectStateInvalid({ code: auth.code, state: auth.state, deviceId: 'device-thief' });
    });

    it('an empty code is BAD_USER_INPUT without calling WeChat', async () => {
      const auth = await authorizeOnPhone(w);
      expect(errorCode(await wechatLogin(w, { code: '', state: auth.state }))).toBe('BAD_USER_INPUT');
      expect(w.fake.calls()).toEqual([]);
    });
  });

  describe('idempotency and replay', () => {
    it('the same code from the same device gives the same user and one live session, without calling WeChat again', async () => {
      const phone = nextPhone('158');
      await loginAndBind(w, 'retrier', phone);
      const auth = await authorizeOnPhone(w, { person: 'retrier' });
      w.fake.clearCalls();
      const first = (await wechatLogin(w, { code: auth.code, state: auth.state })).body.data!.wechatLogin;
      const second = (await wechatLogin(w, { code: auth.code, state: auth.state })).body.data!.wechatLogin;
      expect(second.session!.user.id).toBe(first.session!.user.id);
      expect(w.fake.calls('access_token')).toHaveLength(1);
      const userId = first.session!.user.id;
      const live = await count(
        'SELECT COUNT(DISTINCT family_id) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND replaced_by IS NULL',
        [userId],
      );
      const families = await query<{ family_id: string }>(
        'SELECT DISTINCT family_id FROM sessions WHERE user_id = ? AND login_method = ? ORDER BY family_id',
        [userId, 'WECHAT'],
      );
      expect(live).toBe(families.length);
      // The second answer's tokens work; the first answer's refresh token is superseded.
      expect((await w.t.gql(ME, undefined, bearer(second.session!.accessToken))).body.errors).toBeUndefined();
      expect(errorCode(await w.t.gql(REFRESH, { token: first.session!.refreshToken }))).toBe('UNAUTHENTICATED');
    });

    it('the same code arriving at once from one device: one exchange, one user, one session', async () => {
      const phone = nextPhone('159');
      const { userId } = await loginAndBind(w, 'double-tap', phone);
      const auth = await authorizeOnPhone(w, { person: 'double-tap' });
      w.fake.clearCalls();
      const sessionsBefore = await count('SELECT COUNT(DISTINCT family_id) AS n FROM sessions WHERE user_id = ?', [
        userId,
      ]);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => wechatLogin(w, { code: auth.code, state: auth.state })),
      );
      for (const res of results)
        expect({ errors: res.body.errors, user: res.body.data?.wechatLogin.session?.user.id }).toEqual({
          errors: undefined,
          user: userId,
        });
      expect(w.fake.calls('access_token')).toHaveLength(1);
      expect(await count('SELECT COUNT(DISTINCT family_id) AS n FROM sessions WHERE user_id = ?', [userId])).toBe(
        sessionsBefore + 1,
      );
    });

    it('the same code from another device is refused and the session it produced is revoked', async () => {
      const { userId } = await loginAndBind(w, 'victim', nextPhone('180'));
      const auth = await authorizeOnPhone(w, { person: 'victim', deviceId: 'phone-of-victim' });
      w.fake.clearCalls();
      const legit = (await wechatLogin(w, { code: auth.code, state: auth.state, deviceId: 'phone-of-victim' })).body
        .data!.wechatLogin;
      expect(legit.session!.user.id).toBe(userId);
      const replay = await wechatLogin(w, { code: auth.code, state: auth.state, deviceId: 'phone-of-attacker' });
      expect(errorCode(replay)).toBe('WECHAT_CODE_INVALID');
      expect(replay.body.data).toBeNull();
      expect(errorCode(await w.t.gql(ME, undefined, bearer(legit.session!.accessToken)))).toBe('UNAUTHENTICATED');
      expect(w.fake.calls('access_token')).toHaveLength(1);
    });

    it('an unbound person retrying the same code gets a fresh bind ticket; the earlier one dies', async () => {
      const auth = await authorizeOnPhone(w, { person: 'unbound-retrier' });
      const first = (await wechatLogin(w, { code: auth.code, state: auth.state })).body.data!.wechatLogin;
      const second = (await wechatLogin(w, { code: auth.code, state: auth.state })).body.data!.wechatLogin;
      expect(second.isBind).toBe(false);
      expect(second.bindTicket).not.toBe(first.bindTicket);
      const phone = nextPhone('181');
      expect(errorCode(await sendBindCode(phone, first.bindTicket))).toBe('BIND_TICKET_INVALID');
      expect((await sendBindCode(phone, second.bindTicket)).body.errors).toBeUndefined();
    });
  });

  describe('races', () => {
    it('50 parallel first logins of one new WeChat person make one identity', async () => {
      const auths = await Promise.all(
        Array.from({ length: 50 }, (_, i) => authorizeOnPhone(w, { person: 'crowd', deviceId: `crowd-${i}` })),
      );
      const results = await Promise.all(
        auths.map((a, i) => wechatLogin(w, { code: a.code, state: a.state, deviceId: `crowd-${i}` })),
      );
      const errors = results.filter((r) => r.body.errors).map((r) => r.body.errors);
      expect(errors).toEqual([]);
      expect(results.every((r) => r.body.data!.wechatLogin.isBind === false)).toBe(true);
      expect(await count('SELECT COUNT(*) AS n FROM identities WHERE subject = ?', [auths[0].openid])).toBe(1);
      expect(
        await count(
          'SELECT COUNT(*) AS n FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.subject = ?',
          [auths[0].openid],
        ),
      ).toBe(1);
    });

    it('parallel first logins of different people never answer INTERNAL (deadlock losers are retried) and leave no code pending', async () => {
      // Three rounds of 16: on MariaDB these deadlocked on bind_tickets' foreign-key gap locks. Only a
      // WeChat budget running out on a loaded machine (retryable) may answer otherwise.
      const codes: unknown[] = [];
      let tickets = 0;
      for (let round = 0; round < 3; round++) {
        const auths = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            authorizeOnPhone(w, { person: `stranger-${round}-${i}`, deviceId: `s-${round}-${i}` }),
          ),
        );
        const results = await Promise.all(
          auths.map((a, i) => wechatLogin(w, { code: a.code, state: a.state, deviceId: `s-${round}-${i}` })),
        );
        codes.push(...results.flatMap((r) => r.body.errors ?? []).map((e) => e.extensions?.code));
        tickets += results.filter((r) => r.body.data?.wechatLogin.bindTicket).length;
      }
      expect(codes.filter((code) => code !== 'WECHAT_UNAVAILABLE')).toEqual([]);
      expect(tickets + codes.length).toBe(48);
      expect(tickets).toBeGreaterThan(0);
      expect(await count("SELECT COUNT(*) AS n FROM code_exchanges WHERE status = 'pending'")).toBe(0);
    });

    it('two people binding one phone at once: exactly one wins', async () => {
      const phone = nextPhone('162');
      const a = await authorizeOnPhone(w, { person: 'racer-a' });
      const b = await authorizeOnPhone(w, { person: 'racer-b' });
      const ticketA = (await wechatLogin(w, { code: a.code, state: a.state })).body.data!.wechatLogin.bindTicket;
      const ticketB = (await wechatLogin(w, { code: b.code, state: b.state })).body.data!.wechatLogin.bindTicket;
      await sendBindCode(phone, ticketA);
      const codeA = latestCode(w.t, phone);
      const [ra, rb] = await Promise.all([bind(ticketA, phone, codeA), bind(ticketB, phone, codeA)]);
      const winners = [ra, rb].filter((r) => !r.body.errors);
      expect(winners).toHaveLength(1);
      const [user] = await query<{ id: string }>('SELECT id FROM users WHERE phone = ?', [phone]);
      expect(await count('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [user.id])).toBe(1);
    });
  });

  describe('re-login', () => {
    const RELOGIN =
      'mutation($t: String!) { wechatRelogin(refreshToken: $t) { accessToken refreshToken user { id } } }';

    it('validates the grant with /sns/auth and rotates the session', async () => {
      const session = await loginAndBind(w, 'relogin-ok', nextPhone('183'));
      w.fake.clearCalls();
      const res = await w.t.gql<{ wechatRelogin: { refreshToken: string; user: { id: string } } }>(RELOGIN, {
        t: session.refreshToken,
      });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.wechatRelogin.user.id).toBe(session.userId);
      expect(w.fake.calls().map((c) => `${c.endpoint}:${c.result}`)).toEqual(['auth:ok']);
    });

    it('renews an expired access token with the refresh token and stores the new one', async () => {
      const session = await loginAndBind(w, 'relogin-expired', nextPhone('184'));
      const [before] = await query<{ access_token_enc: string }>(
        'SELECT g.access_token_enc FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.user_id = ?',
        [session.userId],
      );
      w.fake.advanceClock(7201);
      w.fake.clearCalls();
      const res = await w.t.gql(RELOGIN, { t: session.refreshToken });
      expect(res.body.errors).toBeUndefined();
      expect(w.fake.calls().map((c) => `${c.endpoint}:${c.result}`)).toEqual([
        'auth:errcode:42001',
        'refresh_token:ok',
      ]);
      const [after] = await query<{ access_token_enc: string }>(
        'SELECT g.access_token_enc FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.user_id = ?',
        [session.userId],
      );
      expect(after.access_token_enc).not.toBe(before.access_token_enc);
    });

    it('answers REAUTH_REQUIRED when WeChat refuses the refresh token too, marks the grant, and keeps the session usable', async () => {
      const session = await loginAndBind(w, 'relogin-dead', nextPhone('185'));
      w.fake.resetCredentials('relogin-dead');
      const res = await w.t.gql(RELOGIN, { t: session.refreshToken });
      expect(errorCode(res)).toBe('REAUTH_REQUIRED');
      expect(res.body.errors![0].extensions!.wechatErrcode).toBe(42007);
      const [grant] = await query<{ status: string }>(
        'SELECT g.status FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.user_id = ?',
        [session.userId],
      );
      expect(grant.status).toBe('reauth_required');
      expect((await w.t.gql(REFRESH, { token: session.refreshToken })).body.errors).toBeUndefined();
      // A new authorization clears it.
      const fresh = await authorizeOnPhone(w, { person: 'relogin-dead' });
      expect((await wechatLogin(w, { code: fresh.code, state: fresh.state })).body.data!.wechatLogin.isBind).toBe(true);
    });

    it.each([40030, 42002])('answers REAUTH_REQUIRED for refresh errcode %i', async (errcode) => {
      const session = await loginAndBind(w, `relogin-${errcode}`, nextPhone('186'));
      w.fake.addFault({ endpoint: 'auth', errcode: 42001, times: 1 });
      w.fake.addFault({ endpoint: 'refresh_token', errcode, times: 1 });
      const res = await w.t.gql(RELOGIN, { t: session.refreshToken });
      expect(errorCode(res)).toBe('REAUTH_REQUIRED');
      expect(res.body.errors![0].extensions!.wechatErrcode).toBe(errcode);
    });
  });

  describe('link and unlink', () => {
    it('a phone user links WeChat, unlinks it, and the person must bind again', async () => {
      const user = await loginWithPhone(w.t, nextPhone('187'));
      const auth = await authorizeOnPhone(w, { person: 'linker', headers: bearer(user.accessToken) });
      const linked = await w.t.gql<{ linkWechat: { wechatLinked: boolean } }>(
        'mutation($input: LinkWechatInput!) { linkWechat(input: $input) { id wechatLinked } }',
        { input: { code: auth.code, state: auth.state, deviceId: 'device-1' } },
        bearer(user.accessToken),
      );
      expect(linked.body.data).toEqual({ linkWechat: { id: user.userId, wechatLinked: true } });
      const unlinked = await w.t.gql('mutation { unlinkWechat { wechatLinked } }', undefined, bearer(user.accessToken));
      expect(unlinked.body.data).toEqual({ unlinkWechat: { wechatLinked: false } });
      const again = await authorizeOnPhone(w, { person: 'linker' });
      expect((await wechatLogin(w, { code: again.code, state: again.state })).body.data!.wechatLogin.isBind).toBe(
        false,
      );
    });

    it('refuses to link a WeChat person bound to someone else', async () => {
      await loginAndBind(w, 'taken', nextPhone('188'));
      const user = await loginWithPhone(w.t, nextPhone('189'));
      const auth = await authorizeOnPhone(w, { person: 'taken', headers: bearer(user.accessToken) });
      const res = await w.t.gql(
        'mutation($input: LinkWechatInput!) { linkWechat(input: $input) { id } }',
        { input: { code: auth.code, state: auth.state, deviceId: 'device-1' } },
        bearer(user.accessToken),
      );
      expect(errorCode(res)).toBe('WECHAT_ALREADY_BOUND');
    });

    it('refuses a login state for linking', async () => {
      const user = await loginWithPhone(w.t, nextPhone('177'));
      const auth = await authorizeOnPhone(w, { person: 'wrong-state' });
      const res = await w.t.gql(
        'mutation($input: LinkWechatInput!) { linkWechat(input: $input) { id } }',
        { input: { code: auth.code, state: auth.state, deviceId: 'device-1' } },
        bearer(user.accessToken),
      );
      expect(errorCode(res)).toBe('STATE_INVALID');
    });
  });

  describe('secrets', () => {
    it('stores no WeChat token in plain text, and the stored ones decrypt', async () => {
      await loginAndBind(w, 'secret-keeper', nextPhone('178'));
      const issued = [
        ...(
          w.fake as unknown as { byAccessToken: Map<string, unknown>; byRefreshToken: Map<string, unknown> }
        ).byAccessToken.keys(),
      ];
      const refresh = [...(w.fake as unknown as { byRefreshToken: Map<string, unknown> }).byRefreshToken.keys()];
      const rows = await query<Record<string, unknown>>('SELECT * FROM wechat_grants');
      const dump = JSON.stringify(rows);
      expect(rows.length).toBeGreaterThan(0);
      expect([...issued, ...refresh].filter((token) => dump.includes(token))).toEqual([]);
      const cipher = w.t.app.get(TokenCipher);
      for (const row of rows as { id: string; key_id: string; access_token_enc: string; refresh_token_enc: string }[]) {
        expect(issued).toContain(cipher.decrypt(row.access_token_enc, row.key_id, `${row.id}:access`));
        expect(refresh).toContain(cipher.decrypt(row.refresh_token_enc, row.key_id, `${row.id}:refresh`));
      }
    });

    it('writes no code, WeChat token or AppSecret to the log', () => {
      const fake = w.fake as unknown as {
        byAccessToken: Map<string, unknown>;
        byRefreshToken: Map<string, unknown>;
        codes: Map<string, unknown>;
      };
      const secrets = [
        SANDBOX_WECHAT_APP.secret,
        SECOND_APP.secret,
        ...fake.byAccessToken.keys(),
        ...fake.byRefreshToken.keys(),
        ...fake.codes.keys(),
        ...w.t.app
          .get(SmsOutbox)
          .list()
          .map((m) => m.code),
      ];
      expect(secrets.length).toBeGreaterThan(10);
      expect(leakedSecrets(w.t.logs, secrets)).toEqual([]);
    });
  });

  describe('a device without the WeChat client', () => {
    it('Android is told to install WeChat; iOS is offered Apple and phone login, never WeChat', async () => {
      const options =
        '{ a: loginOptions(platform: ANDROID, wechatInstalled: false) { showWechatButton promptInstallWechat methods } i: loginOptions(platform: IOS, wechatInstalled: false) { showWechatButton promptInstallWechat methods } }';
      expect((await w.t.gql(options)).body.data).toEqual({
        a: { showWechatButton: true, promptInstallWechat: true, methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] },
        i: { showWechatButton: false, promptInstallWechat: false, methods: ['APPLE', 'QQ', 'ALIPAY', 'PHONE'] },
      });
    });
  });

  it('keeps phone login working beside WeChat (smoke)', async () => {
    const phone = nextPhone('173');
    await w.t.gql('mutation($p: String!) { sendSmsCode(input: { phone: $p, purpose: LOGIN }) { phone } }', {
      p: phone,
    });
    expect((await w.t.gql(LOGIN, { input: { phone, smsCode: latestCode(w.t, phone) } })).body.errors).toBeUndefined();
  });
});

describe('the sandbox', () => {
  it('serves the whole WeChat flow from its in-process fake, as `npm start` does', async () => {
    const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    try {
      expect(t.config.wechat.apiBase).toBeNull();
      await t.app.listen(0, '127.0.0.1');
      const started = await t.gql<{ startWechatLogin: { appId: string; state: string } }>(START, {
        deviceId: 'sandbox-phone',
      });
      const { appId, state } = started.body.data!.startWechatLogin;
      const approved = await t
        .http()
        .post('/sandbox/wechat/authorize')
        .send({ appid: appId, state, person: 'sandbox-user' });
      const res = await t.gql<{ wechatLogin: { isBind: boolean; bindTicket: string } }>(
        'mutation($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind bindTicket } }',
        { input: { code: approved.body.code, state, deviceId: 'sandbox-phone' } },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.wechatLogin).toEqual({ isBind: false, bindTicket: expect.any(String) });
    } finally {
      await t.close();
    }
  });
});
