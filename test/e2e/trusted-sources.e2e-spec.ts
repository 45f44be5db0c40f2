import { errorCode, nextPhone, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// TRUSTED_SOURCES (issue 14): a load generator or the operator's own probes skip the general
// throttle and the SMS budgets per IP, device, prefix, country and in all; a phone's own limits stay.
// Tests reach the app from 127.0.0.1.
describe('trusted sources', () => {
  const TIGHT = {
    SMS_CONSOLE_LOG_CODES: 'false',
    THROTTLE_PUBLIC_PER_MINUTE: '3',
    SMS_IP_PER_MINUTE: '1',
    SMS_DEVICE_PER_HOUR: '1',
    SMS_PREFIX_PER_HOUR: '1',
    SMS_COUNTRY_PER_HOUR: '1',
    SMS_GLOBAL_PER_HOUR: '1',
  };
  const options = (t: TestApp) => t.gql('{ loginOptions(platform: ANDROID, wechatInstalled: true) { methods } }');
  const send = (t: TestApp, phone: string) =>
    t.gql('mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
      input: { phone, purpose: 'LOGIN', deviceId: 'one-device' },
    });

  it('from a trusted address, neither the throttle nor the busy budgets bind, and the phone cooldown does', async () => {
    const t = await startTestApp({ env: { ...TIGHT, TRUSTED_SOURCES: '10.0.0.0/8, 127.0.0.1' } });
    try {
      const answers: unknown[] = [];
      for (let i = 0; i < 6; i++) answers.push(errorCode(await send(t, nextPhone('137'))));
      for (let i = 0; i < 6; i++) answers.push(errorCode(await options(t)));
      expect(answers).toEqual(Array(12).fill(undefined));
      const phone = nextPhone('137');
      expect(errorCode(await sendCode(t, phone))).toBeUndefined();
      expect(errorCode(await sendCode(t, phone))).toBe('SMS_RATE_LIMITED');
    } finally {
      await t.close();
    }
  });

  it('from any other address every limit holds (the same settings, 127.0.0.1 not on the list)', async () => {
    const t = await startTestApp({ env: { ...TIGHT, TRUSTED_SOURCES: '10.0.0.0/8' } });
    try {
      expect(errorCode(await send(t, nextPhone('137')))).toBeUndefined();
      expect(errorCode(await send(t, nextPhone('137')))).toBe('CAPTCHA_REQUIRED');
      // One throttle budget per IP across operations: the two sends used two of the three calls.
      expect(errorCode(await options(t))).toBeUndefined();
      expect(errorCode(await options(t))).toBe('TOO_MANY_REQUESTS');
    } finally {
      await t.close();
    }
  });
});
