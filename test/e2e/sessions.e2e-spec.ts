import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, loginWithPhone, LoggedIn, ME, nextPhone, REFRESH } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { leakedSecrets } from '../support/log-secrets';

type Refreshed = {
  refreshSession: { accessToken: string; refreshToken: string; refreshTokenExpiresAt: string; user: { id: string } };
};

describe('sessions', () => {
  let t: TestApp;
  let clock: Clock;
  const secrets = new Set<string>();
  const ADMIN_PHONE = '+8613900000001';

  const refresh = async (token: string) => {
    const res = await t.gql<Refreshed>(REFRESH, { token });
    const session = res.body.data?.refreshSession;
    if (session) secrets.add(session.accessToken).add(session.refreshToken);
    return { res, session };
  };
  const me = (accessToken: string) => t.gql(ME, undefined, bearer(accessToken));
  const newUser = async (options: { deviceId?: string; platform?: string } = {}): Promise<LoggedIn> => {
    const user = await loginWithPhone(t, nextPhone('137'), options);
    secrets.add(user.accessToken).add(user.refreshToken).add(user.phone);
    return user;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: ADMIN_PHONE } });
    clock = t.app.get(Clock);
  });

  afterAll(async () => {
    await t.close();
  });

  describe('access tokens', () => {
    it('verify against /.well-known/jwks.json with a generic JWT library', async () => {
      const user = await newUser();
      const jwks = await t.http().get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) }),
      ]);
      expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/);

      const { payload, protectedHeader } = await jwtVerify(user.accessToken, createLocalJWKSet(jwks.body), {
        issuer: 'wechat-login',
        audience: 'mobile-apps',
        currentDate: clock.now(),
      });
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: jwks.body.keys[0].kid, typ: 'JWT' });
      expect(payload.sub).toBe(user.userId);
      expect(payload.sid).toEqual(expect.any(String));
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(900);
    });

    it('are refused once expired, tampered with, or missing', async () => {
      const user = await newUser();
      expect((await me(user.accessToken)).body.errors).toBeUndefined();
      const [head, body] = user.accessToken.split('.');
      const forged = `${head}.${body}.${'A'.repeat(86)}`;
      expect(errorCode(await me(forged))).toBe('UNAUTHENTICATED');
      expect(errorCode(await t.gql(ME))).toBe('UNAUTHENTICATED');
      clock.advance(901);
      expect(errorCode(await me(user.accessToken))).toBe('UNAUTHENTICATED');
    });

    it('signed with our key but living longer than 15 minutes or for several audiences are refused', async () => {
      const user = await newUser();
      const jwks = (await t.http().get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
      const { sid } = decodeJwt(user.accessToken) as { sid: string };
      const now = Math.floor(clock.nowMs() / 1000);
      const make = (claims: Record<string, unknown>) =>
        new SignJWT({ sid, roles: [], ...claims })
          .setProtectedHeader({ alg: 'ES256', kid: jwks.keys[0].kid, typ: 'JWT' })
          .setIssuer('wechat-login')
          .setSubject(user.userId)
          .sign(t.config.session.signingKey);
      const sane = await make({ aud: 'mobile-apps', iat: now, exp: now + 600 });
      expect((await me(sane)).body.data).toEqual({ me: expect.objectContaining({ id: user.userId }) });
      const tenYears = await make({ aud: 'mobile-apps', iat: now, exp: now + 10 * 365 * 86400 });
      const backdated = await make({ aud: 'mobile-apps', iat: now - 86400, exp: now + 600 });
      const futureIat = await make({ aud: 'mobile-apps', iat: now + 3600, exp: now + 3700 });
      const audiences = await make({ aud: ['mobile-apps', 'other-backend'], iat: now, exp: now + 600 });
      for (const token of [tenYears, backdated, futureIat, audiences]) {
        expect(errorCode(await me(token))).toBe('UNAUTHENTICATED');
      }
    });

    it('carry the admin role for phones in ADMIN_PHONES', async () => {
      const admin = await loginWithPhone(t, ADMIN_PHONE);
      secrets.add(admin.accessToken).add(admin.refreshToken);
      const jwks = (await t.http().get('/.well-known/jwks.json')).body;
      const { payload } = await jwtVerify(admin.accessToken, createLocalJWKSet(jwks), { currentDate: clock.now() });
      expect(payload.roles).toEqual(['admin']);
      const [row] = (await t.app
        .get(Database)
        .dataSource.query('SELECT roles FROM users WHERE id = ?', [admin.userId])) as {
        roles: string;
      }[];
      expect(row.roles).toBe('admin');
      const other = await newUser();
      const { payload: plain } = await jwtVerify(other.accessToken, createLocalJWKSet(jwks), {
        currentDate: clock.now(),
      });
      expect(plain.roles).toEqual([]);
    });
  });

  describe('refresh rotation', () => {
    it('rotates the refresh token on every use and keeps the session', async () => {
      const user = await newUser();
      const first = await refresh(user.refreshToken);
      expect(first.res.body.errors).toBeUndefined();
      expect(first.session!.refreshToken).not.toBe(user.refreshToken);
      expect(first.session!.user.id).toBe(user.userId);
      const second = await refresh(first.session!.refreshToken);
      expect(second.res.body.errors).toBeUndefined();
      expect((await me(second.session!.accessToken)).body.data).toEqual({
        me: expect.objectContaining({ id: user.userId }),
      });
      const decode = (token: string) =>
        JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string };
      expect(decode(second.session!.accessToken).sid).toBe(decode(user.accessToken).sid);
      // Only hashes are stored.
      const [row] = (await t.app
        .get(Database)
        .dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE refresh_token_hash = ?', [
          second.session!.refreshToken,
        ])) as { n: number }[];
      expect(Number(row.n)).toBe(0);
    });

    it('lets the token just rotated come back once within 10 seconds; the pair never received dies', async () => {
      const user = await newUser();
      const lost = await refresh(user.refreshToken);
      clock.advance(5);
      const retry = await refresh(user.refreshToken);
      expect(retry.res.body.errors).toBeUndefined();
      expect(retry.session!.refreshToken).not.toBe(lost.session!.refreshToken);
      // The pair the client never received is dead; the retried one lives.
      expect(errorCode((await refresh(lost.session!.refreshToken)).res)).toBe('UNAUTHENTICATED');
      expect((await me(retry.session!.accessToken)).body.errors).toBeUndefined();
    });

    it('revokes the whole family when a rotated token comes back a second time', async () => {
      const user = await newUser();
      await refresh(user.refreshToken);
      const retry = await refresh(user.refreshToken);
      expect(retry.res.body.errors).toBeUndefined();
      const third = await refresh(user.refreshToken);
      expect(errorCode(third.res)).toBe('UNAUTHENTICATED');
      expect(errorCode((await refresh(retry.session!.refreshToken)).res)).toBe('UNAUTHENTICATED');
      expect(errorCode(await me(retry.session!.accessToken))).toBe('UNAUTHENTICATED');
      expect(errorCode(await me(user.accessToken))).toBe('UNAUTHENTICATED');
    });

    it('revokes the whole family when a rotated token comes back after the grace window', async () => {
      const user = await newUser();
      const next = await refresh(user.refreshToken);
      clock.advance(11);
      expect(errorCode((await refresh(user.refreshToken)).res)).toBe('UNAUTHENTICATED');
      expect(errorCode((await refresh(next.session!.refreshToken)).res)).toBe('UNAUTHENTICATED');
      expect(errorCode(await me(next.session!.accessToken))).toBe('UNAUTHENTICATED');
      const [row] = (await t.app
        .get(Database)
        .dataSource.query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_reason = 'reuse'", [
          user.userId,
        ])) as { n: number }[];
      expect(Number(row.n)).toBe(2);
    });

    it('gives exactly one live pair when two refreshes of one token race', async () => {
      const user = await newUser();
      const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
      const pairs = [a.session, b.session].filter(Boolean);
      expect(pairs).toHaveLength(2);
      const alive = [];
      for (const pair of pairs) {
        if ((await me(pair!.accessToken)).body.errors === undefined) alive.push(pair);
      }
      // Both access tokens name the one session; of the two refresh tokens only one still works.
      const results = await Promise.all(pairs.map((pair) => refresh(pair!.refreshToken)));
      expect(results.filter((r) => r.session).length).toBe(1);
      expect(alive.length).toBeGreaterThan(0);
    });

    it('refuses unknown and over-long refresh tokens', async () => {
      expect(errorCode((await refresh('not-a-token')).res)).toBe('UNAUTHENTICATED');
      expect(errorCode((await refresh('x'.repeat(500))).res)).toBe('BAD_USER_INPUT');
    });

    it('ends an idle session after 30 days and any session after 90', async () => {
      const idle = await newUser();
      clock.advance(31 * 24 * 3600);
      expect(errorCode((await refresh(idle.refreshToken)).res)).toBe('UNAUTHENTICATED');

      const active = await newUser();
      let token = active.refreshToken;
      for (let day = 20; day <= 80; day += 20) {
        clock.advance(20 * 24 * 3600);
        const next = await refresh(token);
        expect({ day, errors: next.res.body.errors }).toEqual({ day, errors: undefined });
        token = next.session!.refreshToken;
        // The refresh token's expiry never passes the absolute limit.
        expect(Date.parse(next.session!.refreshTokenExpiresAt)).toBeLessThanOrEqual(
          clock.nowMs() + (90 - day) * 24 * 3600 * 1000 + 1000,
        );
      }
      clock.advance(11 * 24 * 3600);
      expect(errorCode((await refresh(token)).res)).toBe('UNAUTHENTICATED');
    });
  });

  describe('logout, revocation and bans', () => {
    it('logout takes effect on the very next request', async () => {
      const user = await newUser();
      expect((await me(user.accessToken)).body.errors).toBeUndefined();
      const res = await t.gql('mutation { logout }', undefined, bearer(user.accessToken));
      expect(res.body).toEqual({ data: { logout: true } });
      expect(errorCode(await me(user.accessToken))).toBe('UNAUTHENTICATED');
      expect(errorCode((await refresh(user.refreshToken)).res)).toBe('UNAUTHENTICATED');
    });

    it('a ban takes effect on the very next request, for tokens and refreshes', async () => {
      const user = await newUser();
      await t.app.get(Database).dataSource.query("UPDATE users SET status = 'banned' WHERE id = ?", [user.userId]);
      expect(errorCode(await me(user.accessToken))).toBe('USER_BANNED');
      expect(errorCode((await refresh(user.refreshToken)).res)).toBe('USER_BANNED');
    });

    it('lists my sessions, marks the current one, and revokes another', async () => {
      const phone = nextPhone('136');
      secrets.add(phone);
      const phoneA = await loginWithPhone(t, phone, { deviceId: 'phone-a', platform: 'ANDROID' });
      clock.advance(61);
      const phoneB = await loginWithPhone(t, phone, { deviceId: 'phone-b', platform: 'IOS' });
      secrets.add(phoneA.accessToken).add(phoneA.refreshToken).add(phoneB.accessToken).add(phoneB.refreshToken);
      const list = await t.gql<{ mySessions: { id: string; deviceId: string; platform: string; current: boolean }[] }>(
        '{ mySessions { id deviceId platform createdAt lastUsedAt current } }',
        undefined,
        bearer(phoneB.accessToken),
      );
      const sessions = list.body.data!.mySessions;
      expect(sessions.map((s) => [s.deviceId, s.platform, s.current]).sort()).toEqual([
        ['phone-a', 'ANDROID', false],
        ['phone-b', 'IOS', true],
      ]);
      const other = sessions.find((s) => !s.current)!;
      const revoke = (id: string, token: string) =>
        t.gql('mutation($id: ID!) { revokeSession(id: $id) }', { id }, bearer(token));
      expect((await revoke(other.id, phoneB.accessToken)).body.data).toEqual({ revokeSession: true });
      expect(errorCode(await me(phoneA.accessToken))).toBe('UNAUTHENTICATED');
      expect((await me(phoneB.accessToken)).body.errors).toBeUndefined();

      // Someone else's session, or an unknown id, answers false and changes nothing.
      const stranger = await newUser();
      const strangerSid = (
        await t.gql<{ mySessions: { id: string }[] }>('{ mySessions { id } }', undefined, bearer(stranger.accessToken))
      ).body.data!.mySessions[0].id;
      expect((await revoke(strangerSid, phoneB.accessToken)).body.data).toEqual({ revokeSession: false });
      expect((await me(stranger.accessToken)).body.errors).toBeUndefined();
      expect((await revoke('00000000-0000-0000-0000-000000000000', phoneB.accessToken)).body.data).toEqual({
        revokeSession: false,
      });
    });
  });

  it('writes no token or full phone number to the log', () => {
    expect(leakedSecrets(t.logs, secrets)).toEqual([]);
  });
});

describe('signing key rotation', () => {
  it('accepts tokens of a key listed in SESSION_VERIFY_KEYS and publishes it', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = (key: import('node:crypto').KeyObject, type: 'pkcs8' | 'spki') =>
      key.export({ type, format: 'pem' }).toString();
    const oldPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const newPair = generateKeyPairSync('ed25519');

    const before = await startTestApp({
      env: { SMS_CONSOLE_LOG_CODES: 'false', SESSION_SIGNING_KEY: pem(oldPair.privateKey, 'pkcs8') },
    });
    const user = await loginWithPhone(before, nextPhone('135'));
    const dbUrl = before.database.url;
    await before.app.close();

    const after = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        SESSION_SIGNING_KEY: pem(newPair.privateKey, 'pkcs8'),
        SESSION_VERIFY_KEYS: Buffer.from(pem(oldPair.publicKey, 'spki')).toString('base64'),
        DATABASE_URL: dbUrl,
      },
    });
    try {
      const jwks = (await after.http().get('/.well-known/jwks.json')).body as { keys: { alg: string; kid: string }[] };
      expect(jwks.keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256']);
      expect(decodeProtectedHeader(user.accessToken).kid).toBe(jwks.keys[1].kid);
      expect((await after.gql(ME, undefined, bearer(user.accessToken))).body.errors).toBeUndefined();
      const fresh = await after.gql<Refreshed>(REFRESH, { token: user.refreshToken });
      expect(decodeProtectedHeader(fresh.body.data!.refreshSession.accessToken).alg).toBe('EdDSA');
    } finally {
      await after.close();
      await before.database.drop();
    }
  });
});
