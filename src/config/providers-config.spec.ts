import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, describeEnvironment, loadAppConfig } from './app-config';
import { SANDBOX_CARRIER, SANDBOX_HUAWEI } from './providers-config';

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wl-providers-'));

const applePem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

const PRODUCTION_ENV = (): Record<string, string> => ({
  NODE_ENV: 'production',
  SMS_CAPTCHA: 'off',
  DATABASE_URL: 'mysql://app:pw@db.internal:3306/wechat_login',
  WECHAT_APPS: 'wx1234567890abcdef:0123456789abcdef0123456789abcdef',
  TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  SESSION_SIGNING_KEY: applePem(),
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.internal/send',
  SMS_WEBHOOK_SECRET: 'webhook-secret-value',
});

const APPLE_ENV = (): Record<string, string> => ({
  APPLE_BUNDLE_IDS: 'com.example.app, com.example.app.lite',
  APPLE_TEAM_ID: 'ABCDE12345',
  APPLE_KEY_ID: 'KEY1234567',
  APPLE_PRIVATE_KEY: Buffer.from(applePem()).toString('base64'),
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig({ DATA_DIR: dataDir(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('provider configuration', () => {
  it('configures all three providers against the in-process fakes in the zero-config sandbox', () => {
    const { providers } = loadAppConfig({ DATA_DIR: dataDir() });
    expect(providers.apple).toMatchObject({ apiBase: null, issuer: 'https://appleid.apple.com' });
    expect(providers.apple!.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(providers.huawei).toMatchObject({ ...SANDBOX_HUAWEI, oauthBase: null, accountBase: null });
    expect(providers.carrier).toMatchObject({ ...SANDBOX_CARRIER, endpoint: null, protocol: 'http' });
    expect(providers).toMatchObject({ timeoutMs: 3000, budgetMs: 8000 });
  });

  it('leaves every provider off in production when none of its variables is set', () => {
    const { providers } = loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV() });
    expect(providers).toMatchObject({ apple: null, huawei: null, carrier: null });
  });

  it('reads a complete production configuration with the real hosts as defaults', () => {
    const { providers } = loadAppConfig({
      DATA_DIR: dataDir(),
      ...PRODUCTION_ENV(),
      ...APPLE_ENV(),
      HUAWEI_CLIENT_ID: '104123456',
      HUAWEI_CLIENT_SECRET: 'huawei-secret',
      CARRIER_ACCESS_KEY_ID: 'LTAI5tExample',
      CARRIER_ACCESS_KEY_SECRET: 'carrier-secret',
    });
    expect(providers.apple).toMatchObject({
      bundleIds: ['com.example.app', 'com.example.app.lite'],
      teamId: 'ABCDE12345',
      keyId: 'KEY1234567',
      apiBase: 'https://appleid.apple.com',
      issuer: 'https://appleid.apple.com',
    });
    expect(providers.huawei).toMatchObject({
      oauthBase: 'https://oauth-login.cloud.huawei.com',
      accountBase: 'https://account.cloud.huawei.com',
      issuer: 'https://accounts.huawei.com',
    });
    expect(providers.carrier).toMatchObject({ endpoint: 'dypnsapi.aliyuncs.com', protocol: 'https' });
  });

  it('refuses half a provider in production, naming the missing variables', () => {
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      APPLE_TEAM_ID: 'ABCDE12345',
      HUAWEI_CLIENT_ID: '104123456',
      CARRIER_ACCESS_KEY_SECRET: 'carrier-secret',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^APPLE_BUNDLE_IDS, APPLE_KEY_ID, APPLE_PRIVATE_KEY: Sign in with Apple needs all of/),
      expect.stringMatching(/^HUAWEI_CLIENT_SECRET: Huawei ID needs all of/),
      expect.stringMatching(/^CARRIER_ACCESS_KEY_ID: Carrier one-tap needs all of/),
    ]);
  });

  it('refuses half a provider in the sandbox too', () => {
    expect(problemsOf({ CARRIER_ACCESS_KEY_ID: 'LTAI5tExample' })).toEqual([
      expect.stringMatching(/^CARRIER_ACCESS_KEY_SECRET:/),
    ]);
  });

  it('names bad Apple values without echoing the key', () => {
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      APPLE_BUNDLE_IDS: 'not a bundle',
      APPLE_TEAM_ID: 'short',
      APPLE_KEY_ID: 'KEY1234567',
      APPLE_PRIVATE_KEY: 'c2VjcmV0LWtleS1tYXRlcmlhbA==',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['APPLE_BUNDLE_IDS', 'APPLE_TEAM_ID', 'APPLE_PRIVATE_KEY']);
    expect(problems.join('\n')).not.toContain('c2VjcmV0');
  });

  it('refuses plain-http bases and endpoints in production, and accepts an http fake in the sandbox', () => {
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      APPLE_API_BASE: 'http://127.0.0.1:4201',
      HUAWEI_OAUTH_BASE: 'ftp://x',
      CARRIER_ENDPOINT: 'http://127.0.0.1:4203',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['APPLE_API_BASE', 'HUAWEI_OAUTH_BASE', 'CARRIER_ENDPOINT']);
    const { providers } = loadAppConfig({
      DATA_DIR: dataDir(),
      APPLE_API_BASE: 'http://127.0.0.1:4201/',
      CARRIER_ENDPOINT: 'http://127.0.0.1:4203',
    });
    expect(providers.apple).toMatchObject({ apiBase: 'http://127.0.0.1:4201', issuer: 'http://127.0.0.1:4201' });
    expect(providers.carrier).toMatchObject({ endpoint: '127.0.0.1:4203', protocol: 'http' });
  });

  it('masks the provider secrets when the environment is described', () => {
    const lines = describeEnvironment({
      ...APPLE_ENV(),
      HUAWEI_CLIENT_SECRET: 'huawei-secret',
      CARRIER_ACCESS_KEY_SECRET: 'carrier-secret',
      CARRIER_ENDPOINT: 'dypnsapi.aliyuncs.com',
      QQ_WEB_APP_KEY: 'qq-app-key',
      ALIPAY_PRIVATE_KEY: 'alipay-private-key',
      ALIPAY_KEY_ON: 'open_id',
    }).join('\n');
    expect(lines).toContain('APPLE_PRIVATE_KEY=********');
    expect(lines).toContain('HUAWEI_CLIENT_SECRET=********');
    expect(lines).toContain('CARRIER_ACCESS_KEY_SECRET=********');
    expect(lines).toContain('CARRIER_ENDPOINT=dypnsapi.aliyuncs.com');
    expect(lines).toContain('QQ_WEB_APP_KEY=********');
    expect(lines).toContain('ALIPAY_PRIVATE_KEY=********');
    expect(lines).toContain('ALIPAY_KEY_ON=open_id');
    expect(lines).not.toMatch(/huawei-secret|carrier-secret|qq-app-key|alipay-private-key/);
  });
});
