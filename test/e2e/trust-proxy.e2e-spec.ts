import { errorCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

const LOGIN_OPTIONS = '{ loginOptions(platform: ANDROID, wechatInstalled: true) { showWechatButton } }';

/**
 * The per-IP throttle (3 public calls a minute here) counts the address TRUST_PROXY makes of the
 * request. A client writing its own X-Forwarded-For must not get a fresh budget per made-up address.
 */
describe.each([
  // The test client stands in for a load balancer that appends the address it saw.
  { trust: '1', peer: 'one trusted hop', spoof: (i: number) => `203.0.113.${i}, 198.51.100.7` },
  // The test client connects from 127.0.0.1, which is not one of the named proxies.
  { trust: '10.0.0.0/8', peer: 'an untrusted peer', spoof: (i: number) => `203.0.113.${i}` },
])('TRUST_PROXY=$trust, spoofed X-Forwarded-For from $peer', ({ trust, spoof }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { TRUST_PROXY: trust, THROTTLE_PUBLIC_PER_MINUTE: '3' },
      override: (config) => ({ ...config, mode: 'production' }),
    });
  });

  afterAll(async () => {
    await t.close();
  });

  it('does not change the client IP the per-IP limit counts', async () => {
    for (let i = 1; i <= 3; i++) {
      const res = await t.gql(LOGIN_OPTIONS, undefined, { 'x-forwarded-for': spoof(i) });
      expect(res.body.errors).toBeUndefined();
    }
    const fourth = await t.gql(LOGIN_OPTIONS, undefined, { 'x-forwarded-for': spoof(4) });
    expect(errorCode(fourth)).toBe('TOO_MANY_REQUESTS');
  });
});

describe('TRUST_PROXY=1 still tells clients behind the proxy apart', () => {
  it('gives the address the proxy appended its own budget', async () => {
    const t = await startTestApp({ env: { TRUST_PROXY: '1', THROTTLE_PUBLIC_PER_MINUTE: '1' } });
    try {
      const from = (ip: string) => ({ 'x-forwarded-for': `203.0.113.50, ${ip}` });
      expect((await t.gql(LOGIN_OPTIONS, undefined, from('198.51.100.1'))).body.errors).toBeUndefined();
      expect(errorCode(await t.gql(LOGIN_OPTIONS, undefined, from('198.51.100.1')))).toBe('TOO_MANY_REQUESTS');
      expect((await t.gql(LOGIN_OPTIONS, undefined, from('198.51.100.2'))).body.errors).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
