import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { SmsOutbox } from '../../src/sandbox/sms-outbox';
import {
  bearer,
  errorCode,
  LOGIN,
  loginWithPhone,
  ME,
  nextPhone,
  sendCode,
  SEND_CODE,
  solveCaptcha,
  latestCode,
  wrongCode,
} from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { leakedSecrets } from '../support/log-secrets';

describe('phone login and SMS codes', () => {
  let t: TestApp;
  let clock: Clock;
  /** Every code, token and phone number this file handles: none may reach the log. */
  const secrets = new Set<string>();

  const count = async (sql: string, params: unknown[] = []): Promise<number> => {
    const [row] = (await t.app.get(Database).dataSource.query(sql, params)) as { n: number | string }[];
    return Number(row.n);
  };
  const login = (phone: string, smsCode: string, extra: Record<string, unknown> = {}) =>
    t.gql(LOGIN, { input: { phone, smsCode, ...extra } });
  const remember = (phone: string): string => {
    secrets.add(phone);
    secrets.add(phone.replace('+86', ''));
    return phone;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    clock = t.app.get(Clock);
  });

  afterAll(async () => {
    await t.close();
  });

  it('logs a new user in with the code sent to their phone, and creates them once', async () => {
    const phone = remember(nextPhone());
    const sent = await sendCode(t, phone.replace('+86', ''));
    expect(sent.body.errors).toBeUndefined();
    expect(sent.body.data).toEqual({
      sendSmsCode: {
        phone: expect.stringMatching(/^\+86 138\*{4}\d{4}$/),
        expiresAt: expect.any(String),
        resendAfter: expect.any(String),
      },
    });
    const code = latestCode(t, phone);
    secrets.add(code);
    const res = await login(phone, code, { deviceId: 'device-a', platform: 'ANDROID' });
    expect(res.body.errors).toBeUndefined();
    const session = (res.body.data as { loginWithPhone: { accessToken: string; refreshToken: string; user: object } })
      .loginWithPhone;
    secrets.add(session.accessToken);
    secrets.add(session.refreshToken);
    expect(session.user).toEqual({ id: expect.any(String), phone, status: 'ACTIVE', wechatLinked: false });
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE phone = ?', [phone])).toBe(1);
    expect(
      await count('SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ? AND consumed_at IS NOT NULL', [phone]),
    ).toBe(1);
    // The code is stored hashed, never in clear.
    expect(await count('SELECT COUNT(*) AS n FROM sms_codes WHERE code_hash = ?', [code])).toBe(0);

    // A second login of the same phone is the same user.
    clock.advance(61);
    const again = await loginWithPhone(t, phone);
    secrets.add(again.accessToken).add(again.refreshToken);
    expect(again.userId).toBe((session.user as { id: string }).id);
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE phone = ?', [phone])).toBe(1);
  });

  it('refuses a second send within a minute with a retry-after, and allows it after', async () => {
    const phone = remember(nextPhone());
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    const second = await sendCode(t, phone);
    expect(errorCode(second)).toBe('SMS_RATE_LIMITED');
    const ext = second.body.errors![0].extensions!;
    expect(ext.retryable).toBe(true);
    expect(ext.retryAfterSeconds).toBeGreaterThan(0);
    expect(ext.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await count('SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ?', [phone])).toBe(1);
    clock.advance(61);
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
  });

  it('counts the one-a-minute limit per phone across purposes', async () => {
    const user = await loginWithPhone(t, remember(nextPhone()));
    secrets.add(user.accessToken).add(user.refreshToken);
    const res = await sendCode(t, user.phone, 'DELETE_ACCOUNT', bearer(user.accessToken));
    expect(errorCode(res)).toBe('SMS_RATE_LIMITED');
  });

  it("past the phone's hourly budget a send needs a captcha instead of being refused", async () => {
    const phone = remember(nextPhone());
    for (let i = 0; i < 5; i++) {
      expect({ i, errors: (await sendCode(t, phone)).body.errors }).toEqual({ i, errors: undefined });
      clock.advance(61);
    }
    const sixth = await sendCode(t, phone);
    expect(errorCode(sixth)).toBe('CAPTCHA_REQUIRED');
    expect(sixth.body.errors![0].extensions!.captcha).toEqual({
      provider: 'sandbox',
      sceneId: 'sandbox-scene',
      prefix: 'sandbox',
      solveUrl: '/sandbox/captcha/solve',
    });
    expect(await count('SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ?', [phone])).toBe(5);
    const token = await solveCaptcha(t);
    const paid = await t.gql(SEND_CODE, { input: { phone, purpose: 'LOGIN', captchaToken: token } });
    expect(paid.body.errors).toBeUndefined();
    expect(await count('SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ?', [phone])).toBe(6);
  });

  it('five wrong codes lock the right one', async () => {
    const phone = remember(nextPhone());
    await sendCode(t, phone);
    const right = latestCode(t, phone);
    for (let i = 0; i < 5; i++) {
      expect(errorCode(await login(phone, wrongCode(right)))).toBe('SMS_CODE_INVALID');
    }
    expect(errorCode(await login(phone, right))).toBe('SMS_CODE_LOCKED');
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE phone = ?', [phone])).toBe(0);
  });

  it('counts every aliased guess that runs, and aliasing buys no extra guesses', async () => {
    const phone = remember(nextPhone());
    await sendCode(t, phone);
    const right = latestCode(t, phone);
    const guesses = Array.from({ length: 12 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'));
    const request = `mutation { ${guesses
      .map((code, i) => `g${i}: loginWithPhone(input: { phone: "${phone}", smsCode: "${code}" }) { accessToken }`)
      .join('\n')} }`;
    // Mutation fields run one after another, and a failed non-null field ends the operation, so of
    // twelve aliased wrong guesses exactly one runs per request; that one is counted as a try.
    const attemptsAfter: number[] = [];
    const seen: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.gql(request);
      expect(res.body.data).toBeNull();
      seen.push(...(res.body.errors ?? []).map((e) => e.extensions?.code));
      attemptsAfter.push(await count('SELECT MAX(attempts) AS n FROM sms_codes WHERE phone = ?', [phone]));
    }
    expect(seen).toEqual([
      'SMS_CODE_INVALID',
      'SMS_CODE_INVALID',
      'SMS_CODE_INVALID',
      'SMS_CODE_INVALID',
      'SMS_CODE_INVALID',
      'SMS_CODE_LOCKED',
    ]);
    expect(attemptsAfter).toEqual([1, 2, 3, 4, 5, 5]);
    expect(errorCode(await login(phone, right))).toBe('SMS_CODE_LOCKED');
  });

  it('counts the public throttle per resolver call: twelve aliased queries are twelve calls', async () => {
    const limited = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', THROTTLE_PUBLIC_PER_MINUTE: '11' } });
    try {
      const fields = Array.from(
        { length: 12 },
        (_, i) => `a${i}: loginOptions(platform: IOS, wechatInstalled: true) { methods }`,
      );
      const res = await limited.gql(`{ ${fields.join('\n')} }`);
      // Query fields run in parallel and each passes the throttle: eleven are let through, the
      // twelfth is refused (one refusal nulls the whole answer, as its fields are non-null).
      const refused = (res.body.errors ?? []).map((e) => ({ path: e.path, ...e.extensions }));
      expect(refused).toEqual([
        expect.objectContaining({
          path: ['a11'],
          code: 'TOO_MANY_REQUESTS',
          retryable: true,
          retryAfterSeconds: expect.any(Number),
        }),
      ]);
      const next = await limited.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }');
      expect(errorCode(next)).toBe('TOO_MANY_REQUESTS');
    } finally {
      await limited.close();
    }
  });

  it('counts the public throttle per IP across operations: two operations share one budget', async () => {
    const limited = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', THROTTLE_PUBLIC_PER_MINUTE: '4' } });
    try {
      const options = () => limited.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }');
      const codes = () => limited.gql('{ errorCodes }');
      const answers = [await options(), await options(), await codes(), await codes(), await codes(), await options()];
      expect(answers.map((res) => errorCode(res) ?? 'ok')).toEqual([
        'ok',
        'ok',
        'ok',
        'ok',
        'TOO_MANY_REQUESTS',
        'TOO_MANY_REQUESTS',
      ]);
    } finally {
      await limited.close();
    }
  });

  it('a resend kills the old code', async () => {
    const phone = remember(nextPhone());
    await sendCode(t, phone);
    const first = latestCode(t, phone);
    clock.advance(61);
    await sendCode(t, phone);
    const second = latestCode(t, phone);
    secrets.add(first).add(second);
    expect(second).not.toBe(first);
    const old = await login(phone, first);
    // (A one-in-a-million draw can repeat the code; then the old one is the new one.)
    if (first !== second) expect(errorCode(old)).toBe('SMS_CODE_INVALID');
    expect((await login(phone, second)).body.errors).toBeUndefined();
  });

  it('twenty parallel logins with the right code give exactly one session', async () => {
    const phone = remember(nextPhone());
    await sendCode(t, phone);
    const code = latestCode(t, phone);
    const results = await Promise.all(Array.from({ length: 20 }, () => login(phone, code)));
    const ok = results.filter((r) => !r.body.errors);
    const failed = results.filter((r) => r.body.errors).map(errorCode);
    expect(ok).toHaveLength(1);
    expect(new Set(failed)).toEqual(new Set(['SMS_CODE_INVALID']));
    expect(
      await count('SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.phone = ?', [phone]),
    ).toBe(1);
  });

  it('answers wrong, expired, used and never-sent codes identically', async () => {
    const describeError = (res: Awaited<ReturnType<typeof login>>) => {
      const { requestId: _ignored, ...rest } = res.body.errors![0].extensions!;
      return { message: res.body.errors![0].message, extensions: rest, data: res.body.data };
    };
    const never = describeError(await login(remember(nextPhone()), '123456'));

    const wrongPhone = remember(nextPhone());
    await sendCode(t, wrongPhone);
    const wrong = describeError(await login(wrongPhone, wrongCode(latestCode(t, wrongPhone))));

    const expiredPhone = remember(nextPhone());
    await sendCode(t, expiredPhone);
    const expiredCode = latestCode(t, expiredPhone);
    clock.advance(301);
    const expired = describeError(await login(expiredPhone, expiredCode));

    const usedPhone = remember(nextPhone());
    await sendCode(t, usedPhone);
    const usedCode = latestCode(t, usedPhone);
    expect((await login(usedPhone, usedCode)).body.errors).toBeUndefined();
    const used = describeError(await login(usedPhone, usedCode));

    expect(never.extensions).toEqual({ code: 'SMS_CODE_INVALID' });
    expect(wrong).toEqual(never);
    expect(expired).toEqual(never);
    expect(used).toEqual(never);
  });

  it.each([
    ['garbage', 'not a phone'],
    ['SQL-looking', "13800138000'); DROP TABLE users; --"],
    ['5,000 characters', '1'.repeat(5000)],
    ['a landline', '+861012345678'],
    ['empty', ''],
  ])('refuses a %s phone with BAD_USER_INPUT and writes nothing', async (_label, phone) => {
    const before = await count('SELECT COUNT(*) AS n FROM sms_codes');
    const usersBefore = await count('SELECT COUNT(*) AS n FROM users');
    // A phone's exact counters are rows (keyed by a hash): a refused phone must not get one.
    const counterRowsBefore = await count('SELECT COUNT(*) AS n FROM rate_limit_rows');
    const sent = await sendCode(t, phone);
    expect(errorCode(sent)).toBe('BAD_USER_INPUT');
    expect(sent.body.errors![0].message).toMatch(/^phone: /);
    expect(errorCode(await login(phone, '123456'))).toBe('BAD_USER_INPUT');
    expect(await count('SELECT COUNT(*) AS n FROM sms_codes')).toBe(before);
    expect(await count('SELECT COUNT(*) AS n FROM users')).toBe(usersBefore);
    expect(await count('SELECT COUNT(*) AS n FROM rate_limit_rows')).toBe(counterRowsBefore);
  });

  it('refuses a valid mobile of another country with PHONE_NOT_ALLOWED', async () => {
    const res = await sendCode(t, '+14155552671');
    expect(errorCode(res)).toBe('PHONE_NOT_ALLOWED');
    expect(await count("SELECT COUNT(*) AS n FROM sms_codes WHERE phone = '+14155552671'")).toBe(0);
  });

  it('refuses a malformed code with BAD_USER_INPUT without counting a try', async () => {
    const phone = remember(nextPhone());
    await sendCode(t, phone);
    expect(errorCode(await login(phone, '12ab'))).toBe('BAD_USER_INPUT');
    expect(await count('SELECT MAX(attempts) AS n FROM sms_codes WHERE phone = ?', [phone])).toBe(0);
  });

  it('wrong codes kill the code, never the phone: after ten wrong tries over two codes a new code logs in', async () => {
    const phone = remember(nextPhone());
    for (let round = 0; round < 2; round++) {
      await sendCode(t, phone);
      const right = latestCode(t, phone);
      for (let i = 0; i < 5; i++) expect(errorCode(await login(phone, wrongCode(right)))).toBe('SMS_CODE_INVALID');
      expect(errorCode(await login(phone, right))).toBe('SMS_CODE_LOCKED');
      clock.advance(61);
    }
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    expect((await login(phone, latestCode(t, phone))).body.errors).toBeUndefined();
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const phone = remember(nextPhone());
    await t.gql(
      'mutation($p: String!) { sendSmsCode(input: { phone: $p, purpose: LOGIN }) { phone } }',
      { p: phone },
      { 'x-forwarded-for': '203.0.113.9' },
    );
    const [row] = (await t.app
      .get(Database)
      .dataSource.query('SELECT requester_ip FROM sms_codes WHERE phone = ?', [phone])) as {
      requester_ip: string;
    }[];
    expect(row.requester_ip).toBe('127.0.0.1');
  });

  it('refuses sendSmsCode for BIND_PHONE without a valid bind ticket', async () => {
    const res = await sendCode(t, remember(nextPhone()), 'BIND_PHONE');
    expect(errorCode(res)).toBe('BIND_TICKET_INVALID');
  });

  it('refuses DELETE_ACCOUNT codes to anonymous callers', async () => {
    const res = await sendCode(t, remember(nextPhone()), 'DELETE_ACCOUNT');
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('deletes an account: sessions revoked, phone and profile erased, audited; the phone registers afresh', async () => {
    const user = await loginWithPhone(t, remember(nextPhone()), { deviceId: 'd1' });
    secrets.add(user.accessToken).add(user.refreshToken);
    clock.advance(61);
    const sent = await sendCode(t, user.phone, 'DELETE_ACCOUNT', bearer(user.accessToken));
    expect(sent.body.errors).toBeUndefined();
    const code = latestCode(t, user.phone);
    secrets.add(code);

    // A LOGIN code does not delete an account.
    const wrongPurpose = await t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: wrongCode(code) },
      bearer(user.accessToken),
    );
    expect(errorCode(wrongPurpose)).toBe('SMS_CODE_INVALID');

    const res = await t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: code },
      bearer(user.accessToken),
    );
    expect(res.body).toEqual({ data: { deleteMyAccount: true } });

    expect(errorCode(await t.gql(ME, undefined, bearer(user.accessToken)))).toBe('UNAUTHENTICATED');
    const [row] = (await t.app
      .get(Database)
      .dataSource.query('SELECT phone, nickname, status, deleted_at FROM users WHERE id = ?', [user.userId])) as {
      phone: null;
      nickname: null;
      status: string;
      deleted_at: unknown;
    }[];
    expect(row).toEqual({ phone: null, nickname: null, status: 'deleted', deleted_at: expect.anything() });
    expect(
      await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL', [user.userId]),
    ).toBe(0);
    const [event] = (await t.app
      .get(Database)
      .dataSource.query("SELECT details FROM audit_events WHERE action = 'account.delete' AND subject_user_id = ?", [
        user.userId,
      ])) as { details: string }[];
    expect(JSON.parse(event.details)).toEqual({
      phone: expect.stringMatching(/^\+86 138\*{4}\d{4}$/),
      reason: 'sms',
      sessionsRevoked: 1,
      identitiesRemoved: 0,
    });

    clock.advance(61);
    const fresh = await loginWithPhone(t, user.phone);
    secrets.add(fresh.accessToken).add(fresh.refreshToken);
    expect(fresh.userId).not.toBe(user.userId);
  });

  it('shows the full phone number to the user themself', async () => {
    const user = await loginWithPhone(t, remember(nextPhone()));
    secrets.add(user.accessToken).add(user.refreshToken);
    const res = await t.gql(ME, undefined, bearer(user.accessToken));
    expect(res.body.data).toEqual({
      me: {
        id: user.userId,
        phone: user.phone,
        nickname: null,
        status: 'ACTIVE',
        wechatLinked: false,
        createdAt: expect.any(String),
      },
    });
  });

  // Last: it reads the logs of everything above.
  it('writes no code, token or full phone number to the log', async () => {
    for (const message of t.app.get(SmsOutbox).list()) secrets.add(message.code);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(leakedSecrets(t.logs, secrets)).toEqual([]);
  });
});

describe('per-IP SMS limits behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', SMS_IP_PER_MINUTE: '3', TRUST_PROXY: 'true' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('prices sends per client IP taken from X-Forwarded-For: past the budget, a captcha', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) {
      expect((await sendCode(t, nextPhone('139'), 'LOGIN', from('198.51.100.7'))).body.errors).toBeUndefined();
    }
    const fourth = await sendCode(t, nextPhone('139'), 'LOGIN', from('198.51.100.7'));
    expect(errorCode(fourth)).toBe('CAPTCHA_REQUIRED');
    // Another address behind the same proxy is not affected.
    expect((await sendCode(t, nextPhone('139'), 'LOGIN', from('198.51.100.8'))).body.errors).toBeUndefined();
  });
});
