import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { FakeCaptchaServer } from '../../src/sandbox/fake-captcha/fake-captcha';
import {
  errorCode,
  LOGIN,
  latestCode,
  nextPhone,
  SEND_CODE,
  sendCode,
  solveCaptcha,
  wrongCode,
} from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 11, defect 5: strangers could lock a phone out of SMS login (10 sends: a day; 2 sends and
// 10 wrong codes: an hour). Now a budget past its end costs a captcha, never a lock.
describe('SMS abuse control: budgets, captcha and no lockout', () => {
  let t: TestApp;
  let clock: Clock;
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const login = (phone: string, smsCode: string, headers: Record<string, string> = {}) =>
    t.gql(LOGIN, { input: { phone, smsCode } }, headers);
  const send = (input: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.gql(SEND_CODE, { input: { purpose: 'LOGIN', ...input } }, headers);
  const codesOf = async (phone: string): Promise<number> => {
    const [row] = (await t.app
      .get(Database)
      .dataSource.query('SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ?', [phone])) as { n: number }[];
    return Number(row.n);
  };

  beforeAll(async () => {
    // One trusted hop: the test plays clients at many addresses behind one proxy.
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', TRUST_PROXY: '1' } });
    clock = t.app.get(Clock);
  });

  afterAll(async () => {
    await t.close();
  });

  it('ten sends to a victim from strangers do not lock the owner out: the owner solves a captcha and logs in', async () => {
    const victim = nextPhone();
    for (let i = 0; i < 10; i++) {
      await sendCode(t, victim, 'LOGIN', from(`203.0.113.${10 + i}`));
      clock.advance(61);
    }
    const owner = from('198.51.100.20');
    const asked = await sendCode(t, victim, 'LOGIN', owner);
    expect(errorCode(asked)).toBe('CAPTCHA_REQUIRED');
    const paid = await send({ phone: victim, captchaToken: await solveCaptcha(t) }, owner);
    expect(paid.body.errors).toBeUndefined();
    const res = await login(victim, latestCode(t, victim), owner);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      loginWithPhone: expect.objectContaining({ user: expect.objectContaining({ phone: victim }) }),
    });
  });

  it('two sends and ten wrong codes from strangers do not lock the owner out', async () => {
    const victim = nextPhone();
    for (let round = 0; round < 2; round++) {
      await sendCode(t, victim, 'LOGIN', from(`203.0.113.${40 + round}`));
      const right = latestCode(t, victim);
      for (let i = 0; i < 5; i++) await login(victim, wrongCode(right), from(`203.0.113.${50 + i}`));
      clock.advance(61);
    }
    const owner = from('198.51.100.21');
    const sent = await sendCode(t, victim, 'LOGIN', owner);
    expect(sent.body.errors).toBeUndefined();
    const res = await login(victim, latestCode(t, victim), owner);
    expect(res.body.errors).toBeUndefined();
  });

  it('CAPTCHA_REQUIRED → solve → the send passes → the same token again is refused', async () => {
    const phone = nextPhone();
    const fake = t.app.get(FakeCaptchaServer);
    for (let i = 0; i < 5; i++) {
      expect((await send({ phone, deviceId: 'flow-device' })).body.errors).toBeUndefined();
      clock.advance(61);
    }
    const refused = await send({ phone, deviceId: 'flow-device' });
    expect(refused.body.errors![0].extensions).toEqual({
      code: 'CAPTCHA_REQUIRED',
      captcha: { provider: 'sandbox', sceneId: 'sandbox-scene', prefix: 'sandbox', solveUrl: '/sandbox/captcha/solve' },
      requestId: expect.any(String),
    });
    expect(await codesOf(phone)).toBe(5);

    const solved = await t.http().post('/sandbox/captcha/solve').send({});
    expect(solved.status).toBe(200);
    const token = solved.body.captchaToken as string;
    const callsBefore = fake.calls().length;
    const paid = await send({ phone, deviceId: 'flow-device', captchaToken: token });
    expect(paid.body.errors).toBeUndefined();
    expect(await codesOf(phone)).toBe(6);
    // The SDK asked the fake Alibaba Cloud endpoint, which said yes once.
    expect(fake.calls().slice(callsBefore)).toEqual([
      { action: 'VerifyIntelligentCaptcha', sceneId: 'sandbox-scene', verifyResult: true },
    ]);

    clock.advance(61);
    const again = await send({ phone, deviceId: 'flow-device', captchaToken: token });
    expect(errorCode(again)).toBe('CAPTCHA_REQUIRED');
    expect(await codesOf(phone)).toBe(6);

    const made = await send({ phone, captchaToken: 'sandbox-captcha.not-solved' });
    expect(errorCode(made)).toBe('CAPTCHA_REQUIRED');
    expect(
      fake
        .calls()
        .slice(callsBefore)
        .map((c) => c.verifyResult),
    ).toEqual([true, false]);
    expect(await codesOf(phone)).toBe(6);
  });

  it('a captcha does not skip the one-a-minute cooldown, and the refused send does not spend it', async () => {
    const phone = nextPhone();
    expect((await send({ phone })).body.errors).toBeUndefined();
    const token = await solveCaptcha(t);
    const early = await send({ phone, captchaToken: token });
    expect(errorCode(early)).toBe('SMS_RATE_LIMITED');
    expect(early.body.errors![0].extensions!.retryAfterSeconds).toBeLessThanOrEqual(60);
    const other = await send({ phone: nextPhone(), captchaToken: token });
    expect(other.body.errors).toBeUndefined();
  });

  it('refuses an over-long captcha token or device id with BAD_USER_INPUT and sends nothing', async () => {
    const phone = nextPhone();
    expect(errorCode(await send({ phone, captchaToken: 'x'.repeat(5000) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await send({ phone, deviceId: 'd'.repeat(200) }))).toBe('BAD_USER_INPUT');
    expect(await codesOf(phone)).toBe(0);
  });
});

describe('SMS abuse control with SMS_CAPTCHA=off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', SMS_CAPTCHA: 'off', SMS_PHONE_PER_HOUR: '1' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses a send past a budget with SMS_RATE_LIMITED, and the sandbox has no captcha to solve', async () => {
    const phone = nextPhone();
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    t.app.get(Clock).advance(61);
    const over = await sendCode(t, phone);
    expect(errorCode(over)).toBe('SMS_RATE_LIMITED');
    expect(over.body.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(3000);
    expect((await t.http().post('/sandbox/captcha/solve').send({})).status).toBe(404);
  });
});
