import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import {
  errorCode,
  latestCode,
  LOGIN,
  loginWithPhone,
  nextPhone,
  SEND_CODE,
  solveCaptcha,
  wrongCode,
} from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18 (5): five wrong guesses every two seconds killed every code the owner received, and about
// 25 solved captchas spent the phone's daily cap for a day. Now strangers' wrong codes count apart
// from those of the source that asked for the code, each source has a budget of wrong codes (then a
// captcha per try), and the owner's known devices keep a reserve of sends past the daily cap.
describe('strangers cannot keep the owner from logging in by SMS', () => {
  let t: TestApp;
  let clock: Clock;
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const send = (phone: string, source: Source, extra: Record<string, unknown> = {}) =>
    t.gql(SEND_CODE, { input: { phone, purpose: 'LOGIN', deviceId: source.deviceId, ...extra } }, from(source.ip));
  const login = (phone: string, smsCode: string, source: Source, extra: Record<string, unknown> = {}) =>
    t.gql(LOGIN, { input: { phone, smsCode, deviceId: source.deviceId, ...extra } }, from(source.ip));
  const tally = (codes: unknown[]) =>
    codes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [String(c)]: (acc[String(c)] ?? 0) + 1 }), {});
  const codeRow = async (phone: string) => {
    const [row] = (await t.app
      .get(Database)
      .dataSource.query(
        'SELECT attempts, foreign_attempts FROM sms_codes WHERE phone = ? ORDER BY created_at DESC LIMIT 1',
        [phone],
      )) as { attempts: number | string; foreign_attempts: number | string }[];
    return { attempts: Number(row.attempts), foreignAttempts: Number(row.foreign_attempts) };
  };

  interface Source {
    ip: string;
    deviceId?: string;
  }
  let strangerSeq = 0;
  /** A stranger at a fresh address with a fresh device. */
  const stranger = (): Source => {
    strangerSeq += 1;
    return { ip: `203.0.${113 + (strangerSeq >> 8)}.${strangerSeq & 255}`, deviceId: `stranger-${strangerSeq}` };
  };

  beforeAll(async () => {
    // One trusted hop: the test plays clients at many addresses behind one proxy.
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', TRUST_PROXY: '1' } });
    clock = t.app.get(Clock);
  });

  afterAll(async () => {
    await t.close();
  });

  it('strangers guessing from their own addresses and devices at a high rate do not kill the owner’s code', async () => {
    const victim = nextPhone('136');
    const owner: Source = { ip: '198.51.100.10', deviceId: 'owner-app-install' };
    for (let round = 0; round < 3; round++) {
      expect((await send(victim, owner)).body.errors).toBeUndefined();
      const right = latestCode(t, victim);
      // Forty wrong guesses in parallel from twenty addresses and devices, two each.
      const guesses = await Promise.all(
        Array.from({ length: 20 }, () => stranger()).flatMap((s) => [
          login(victim, wrongCode(right), s),
          login(victim, wrongCode(wrongCode(right)), s),
        ]),
      );
      // Ten strangers' tries a code (SMS_MAX_FOREIGN_ATTEMPTS), then the code is closed to them.
      expect(tally(guesses.map(errorCode))).toEqual({ SMS_CODE_INVALID: 10, SMS_CODE_LOCKED: 30 });
      expect(await codeRow(victim)).toEqual({ attempts: 0, foreignAttempts: 10 });

      const res = await login(victim, right, owner);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({
        loginWithPhone: expect.objectContaining({ user: expect.objectContaining({ phone: victim }) }),
      });
      clock.advance(61);
    }
  });

  it('a stranger holding the right code after the strangers’ tries are spent gets SMS_CODE_LOCKED: guessing stays bounded', async () => {
    const victim = nextPhone('136');
    const owner: Source = { ip: '198.51.100.11' };
    expect((await send(victim, owner)).body.errors).toBeUndefined();
    const right = latestCode(t, victim);
    for (let i = 0; i < 10; i++)
      expect(errorCode(await login(victim, wrongCode(right), stranger()))).toBe('SMS_CODE_INVALID');
    expect(errorCode(await login(victim, right, stranger()))).toBe('SMS_CODE_LOCKED');
    // The owner's own mistakes still count for the owner, up to SMS_MAX_ATTEMPTS.
    for (let i = 0; i < 4; i++)
      expect(errorCode(await login(victim, wrongCode(right), owner))).toBe('SMS_CODE_INVALID');
    expect(await codeRow(victim)).toEqual({ attempts: 4, foreignAttempts: 10 });
    expect((await login(victim, right, owner)).body.errors).toBeUndefined();
  });

  it('one stranger guessing fast meets CAPTCHA_REQUIRED past the budget of its device and of its address', async () => {
    const victim = nextPhone('136');
    const owner: Source = { ip: '198.51.100.12', deviceId: 'owner-2' };
    expect((await send(victim, owner)).body.errors).toBeUndefined();
    const right = latestCode(t, victim);

    // One device at ever new addresses: 20 wrong codes an hour (SMS_VERIFY_DEVICE_PER_HOUR).
    const device = 'guessing-device';
    const byDevice = [];
    for (let i = 0; i < 22; i++)
      byDevice.push(errorCode(await login(victim, wrongCode(right), { ...stranger(), deviceId: device })));
    expect(byDevice.slice(20)).toEqual(['CAPTCHA_REQUIRED', 'CAPTCHA_REQUIRED']);
    expect(byDevice.slice(0, 20).every((c) => c === 'SMS_CODE_INVALID' || c === 'SMS_CODE_LOCKED')).toBe(true);

    // One address with ever new devices: 100 an hour (SMS_VERIFY_IP_PER_HOUR).
    const ip = '203.0.120.1';
    const byAddress = [];
    for (let i = 0; i < 101; i++)
      byAddress.push(errorCode(await login(victim, wrongCode(right), { ip, deviceId: `d-${i}` })));
    expect(byAddress[100]).toBe('CAPTCHA_REQUIRED');
    expect(byAddress.slice(0, 100).filter((c) => c === 'CAPTCHA_REQUIRED')).toEqual([]);

    // A solved captcha buys one try, once.
    const token = await solveCaptcha(t);
    expect(errorCode(await login(victim, wrongCode(right), { ip, deviceId: 'd-x' }, { captchaToken: token }))).toBe(
      'SMS_CODE_LOCKED',
    );
    expect(errorCode(await login(victim, wrongCode(right), { ip, deviceId: 'd-y' }, { captchaToken: token }))).toBe(
      'CAPTCHA_REQUIRED',
    );

    // None of it touched the owner.
    expect((await login(victim, right, owner)).body.errors).toBeUndefined();
    // An hour (and a counter slot) later the address is trusted with plain tries again.
    clock.advance(3661);
    expect(errorCode(await login(victim, wrongCode(right), { ip, deviceId: 'd-z' }))).toBe('SMS_CODE_INVALID');
  });

  it('strangers filling the phone’s daily cap with solved captchas cannot keep the owner’s device out', async () => {
    const victim = nextPhone('136');
    const owner: Source = { ip: '198.51.100.13', deviceId: 'owner-3' };
    await loginWithPhone(t, victim, { deviceId: owner.deviceId, headers: from(owner.ip) });
    clock.advance(61);

    // The attack: a send a minute, each with a solved captcha, until the daily hard cap (30; one used).
    const refusals: unknown[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await send(victim, stranger(), { captchaToken: await solveCaptcha(t) });
      if (res.body.errors) refusals.push(errorCode(res));
      clock.advance(61);
    }
    expect(refusals).toEqual(['SMS_RATE_LIMITED']);

    // Strangers, and the owner on a device never signed in, are refused as before: no more SMS.
    expect(errorCode(await send(victim, stranger(), { captchaToken: await solveCaptcha(t) }))).toBe('SMS_RATE_LIMITED');
    expect(errorCode(await send(victim, { ip: owner.ip, deviceId: 'new-device' }))).toBe('SMS_RATE_LIMITED');

    // The owner's device: the budgets are spent (a captcha), the reserve is not.
    expect(errorCode(await send(victim, owner))).toBe('CAPTCHA_REQUIRED');
    expect((await send(victim, owner, { captchaToken: await solveCaptcha(t) })).body.errors).toBeUndefined();
    const res = await login(victim, latestCode(t, victim), owner);
    expect(res.body.errors).toBeUndefined();
  });
});
