import { FAKE_CAPTCHA_SCENE, FakeCaptchaServer } from '../../src/sandbox/fake-captcha/fake-captcha';
import { errorCode, nextPhone, SEND_CODE } from './flows';
import type { TestApp } from './test-app';

export interface InstancePair {
  a: TestApp;
  b: TestApp;
  /**
   * One round of the instances sharing their counts, as each does every second on its own (the
   * database counters); nothing for Redis, where every call counts at once.
   */
  share?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two instances of the service that should share every limit: the general throttle, the SMS budgets
 * and the single use of captcha tokens. Both verify captchas (provider aliyun, the official SDK) at
 * one fake Alibaba Cloud endpoint, as two production instances would at Alibaba Cloud.
 */
export function describeSharedLimits(label: string, startPair: (env: Record<string, string>) => Promise<InstancePair>) {
  describe(`two instances sharing limits through ${label}`, () => {
    let pair: InstancePair;
    let fake: FakeCaptchaServer;
    // Each call is made after the last one's counts were shared: decisions see the fleet's counts as of
    // the last round (the database counters' approximation), which these tests make explicit.
    const send = async (t: TestApp, input: Record<string, unknown>) => {
      await pair.share?.();
      return t.gql(SEND_CODE, { input: { purpose: 'LOGIN', ...input } });
    };
    const options = async (t: TestApp) => {
      await pair.share?.();
      return t.gql('{ loginOptions(platform: ANDROID, wechatInstalled: true) { methods } }');
    };

    beforeAll(async () => {
      fake = new FakeCaptchaServer();
      const endpoint = await fake.listen();
      pair = await startPair({
        SMS_CONSOLE_LOG_CODES: 'false',
        THROTTLE_PUBLIC_PER_MINUTE: '40',
        SMS_PHONE_PER_HOUR: '1',
        SMS_IP_PER_MINUTE: '3',
        CAPTCHA_PROVIDER: 'aliyun',
        ALIYUN_CAPTCHA_ACCESS_KEY_ID: 'test-access-key',
        ALIYUN_CAPTCHA_ACCESS_KEY_SECRET: 'test-access-secret',
        ALIYUN_CAPTCHA_SCENE_ID: FAKE_CAPTCHA_SCENE,
        ALIYUN_CAPTCHA_PREFIX: 'test-prefix',
        ALIYUN_CAPTCHA_ENDPOINT: endpoint,
      });
    });

    afterAll(async () => {
      await pair.close();
      await fake.close();
    });

    it('the one-a-minute cooldown of a phone holds across instances', async () => {
      const phone = nextPhone();
      expect((await send(pair.a, { phone })).body.errors).toBeUndefined();
      expect(errorCode(await send(pair.b, { phone }))).toBe('SMS_RATE_LIMITED');
    });

    it('the per-IP budget is one budget: three sends over both, the fourth needs a captcha on either', async () => {
      // (The previous test spent one send of this IP.)
      expect((await send(pair.b, { phone: nextPhone() })).body.errors).toBeUndefined();
      expect((await send(pair.a, { phone: nextPhone() })).body.errors).toBeUndefined();
      const over = await send(pair.b, { phone: nextPhone() });
      expect(errorCode(over)).toBe('CAPTCHA_REQUIRED');
      expect(over.body.errors![0].extensions!.captcha).toEqual({
        provider: 'aliyun',
        sceneId: FAKE_CAPTCHA_SCENE,
        prefix: 'test-prefix',
        region: 'cn',
      });
      expect(errorCode(await send(pair.a, { phone: nextPhone() }))).toBe('CAPTCHA_REQUIRED');
    });

    it('a solved captcha buys one send on one instance; the other refuses the same token', async () => {
      const token = fake.solve();
      const before = fake.calls().length;
      expect((await send(pair.a, { phone: nextPhone(), captchaToken: token })).body.errors).toBeUndefined();
      expect(errorCode(await send(pair.b, { phone: nextPhone(), captchaToken: token }))).toBe('CAPTCHA_REQUIRED');
      // Refused by the shared record of spent tokens, before the provider was asked again.
      expect(fake.calls().slice(before)).toEqual([
        { action: 'VerifyIntelligentCaptcha', sceneId: FAKE_CAPTCHA_SCENE, verifyResult: true },
      ]);
    });

    it('the general throttle is one budget: forty calls spread over both pass, then both refuse', async () => {
      // One budget per IP across operations: the eight sends above spent eight of the forty.
      const answers: unknown[] = [];
      for (let i = 0; i < 32; i++) answers.push(errorCode(await options(i % 2 === 0 ? pair.a : pair.b)));
      expect(answers).toEqual(Array(32).fill(undefined));
      // Per instance, each would still have 20 calls left.
      expect(errorCode(await options(pair.a))).toBe('TOO_MANY_REQUESTS');
      expect(errorCode(await options(pair.b))).toBe('TOO_MANY_REQUESTS');
    });
  });
}
