import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, describeEnvironment, loadAppConfig, SANDBOX_WECHAT_APPS } from './app-config';

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wl-config-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig({ DATA_DIR: dataDir(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const pem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

const PRODUCTION_ENV = (): Record<string, string> => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'mysql://app:pw@db.internal:3306/wechat_login',
  WECHAT_APPS: 'wx1234567890abcdef:0123456789abcdef0123456789abcdef',
  TOKEN_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`,
  SESSION_SIGNING_KEY: pem(),
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.internal/send',
  SMS_WEBHOOK_SECRET: 'webhook-secret-value',
  CAPTCHA_PROVIDER: 'aliyun',
  ALIYUN_CAPTCHA_ACCESS_KEY_ID: 'LTAI-captcha-id',
  ALIYUN_CAPTCHA_ACCESS_KEY_SECRET: 'captcha-secret-value',
  ALIYUN_CAPTCHA_SCENE_ID: 'scene-sms',
  ALIYUN_CAPTCHA_PREFIX: 'abc123',
});

describe('configuration', () => {
  it('runs in sandbox mode with no environment at all', () => {
    const dir = dataDir();
    const config = loadAppConfig({ DATA_DIR: dir });
    expect(config.mode).toBe('sandbox');
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({
      type: 'sqlite',
      path: join(dir, 'wechat-login.sqlite'),
      queryTimeoutMs: 5000,
      acquireTimeoutMs: 5000,
      requestBudgetMs: 2500,
    });
    // One app per channel under one Open Platform account, plus one openid-only mini program.
    expect(config.wechat.apps).toEqual(SANDBOX_WECHAT_APPS);
    expect(config.wechat.apps.map((a) => a.channel)).toEqual([
      'app',
      'mini_program',
      'official_account',
      'website',
      'mini_program',
    ]);
    expect(config.wechat.apiBase).toBeNull();
    expect(config.sms.provider).toBe('console');
    expect(config.tokenEncryptionKeys).toHaveLength(1);
    expect(config.tokenEncryptionKeys[0].key).toHaveLength(32);
    expect(config.session.signingKey.asymmetricKeyType).toBe('ec');
    expect(config.adminPhones).toEqual(['+8613800000000']);
  });

  it('gives the sandbox a default admin phone, never production', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir(), ADMIN_PHONES: '+8613900139000' }).adminPhones).toEqual([
      '+8613900139000',
    ]);
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV() }).adminPhones).toEqual([]);
  });

  it('generates sandbox keys once and keeps them under DATA_DIR', () => {
    const dir = dataDir();
    const first = loadAppConfig({ DATA_DIR: dir });
    const second = loadAppConfig({ DATA_DIR: dir });
    expect(second.tokenEncryptionKeys[0].key.equals(first.tokenEncryptionKeys[0].key)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'sandbox-secrets.json'), 'utf8'))).toHaveProperty('signingKeyPem');
  });

  it('honours PORT and DATA_DIR', () => {
    const dir = dataDir();
    const config = loadAppConfig({ PORT: '4321', DATA_DIR: dir });
    expect(config.port).toBe(4321);
    expect(config.dataDir).toBe(dir);
  });

  it('listens on 127.0.0.1 in the sandbox and on 0.0.0.0 in production unless HOST says otherwise', () => {
    expect(loadAppConfig({ DATA_DIR: dataDir() }).host).toBe('127.0.0.1');
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV() }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV(), HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    // .env.example and the README say the same.
    expect(readFileSync(join(__dirname, '../../.env.example'), 'utf8')).toContain(
      '# listen address (default 127.0.0.1 in sandbox, 0.0.0.0 in production)',
    );
  });

  it('names every missing production variable in one error', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'WECHAT_APPS',
        'TOKEN_ENCRYPTION_KEYS',
        'SESSION_SIGNING_KEY',
        'SMS_PROVIDER',
      ]),
    );
  });

  it('accepts a complete production environment', () => {
    const config = loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV() });
    expect(config.mode).toBe('production');
    expect(config.database.type).toBe('mysql');
    expect(config.wechat.apiBase).toBe('https://api.weixin.qq.com');
    expect(config.tokenEncryptionKeys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(config.graphql.schemaFile).toBeNull();
  });

  it('also takes APP_MODE=production and the single-app shorthand', () => {
    const env = PRODUCTION_ENV();
    delete env.NODE_ENV;
    delete env.WECHAT_APPS;
    const config = loadAppConfig({
      DATA_DIR: dataDir(),
      ...env,
      APP_MODE: 'production',
      WECHAT_APP_ID: 'wxabcdef0123456789',
      WECHAT_APP_SECRET: 'fedcba9876543210fedcba9876543210',
    });
    expect(config.mode).toBe('production');
    expect(config.wechat.apps).toEqual([
      { appId: 'wxabcdef0123456789', secret: 'fedcba9876543210fedcba9876543210', channel: 'app', redirectUris: [] },
    ]);
  });

  it('reads WeChat apps with their channel (the old appId:secret form means app) and web redirect allow-lists', () => {
    const config = loadAppConfig({
      ...PRODUCTION_ENV(),
      WECHAT_APPS:
        'wxabcdef0123456789:fedcba9876543210fedcba9876543210,mini_program:wxmini00000000001:fedcba9876543210fedcba9876543211,' +
        'official_account:wxoffi00000000001:fedcba9876543210fedcba9876543212,website:wxsite00000000001:fedcba9876543210fedcba9876543213',
      WECHAT_REDIRECT_URIS:
        'wxoffi00000000001=https://m.example.com/login/*;wxsite00000000001=https://www.example.com/cb|https://b.example.com/cb',
    });
    expect(config.wechat.apps.map((a) => [a.appId, a.channel, a.redirectUris])).toEqual([
      ['wxabcdef0123456789', 'app', []],
      ['wxmini00000000001', 'mini_program', []],
      ['wxoffi00000000001', 'official_account', ['https://m.example.com/login/*']],
      ['wxsite00000000001', 'website', ['https://www.example.com/cb', 'https://b.example.com/cb']],
    ]);
  });

  it('names a bad channel, a redirect list for a non-web app and a malformed redirect URI, each once', () => {
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      WECHAT_APPS:
        'tv:wxabcdef0123456789:fedcba9876543210fedcba9876543210,wxapp0000000000001:fedcba9876543210fedcba9876543210,website:wxsite00000000001:fedcba9876543210fedcba9876543213',
      WECHAT_REDIRECT_URIS:
        'wxapp0000000000001=https://x.example.com/cb;wxsite00000000001=ftp://x.example.com/cb;wxnope00000000001=https://x.example.com/',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^WECHAT_APPS: entry 1 is not \[channel:\]appId:appSecret/),
      'WECHAT_REDIRECT_URIS: wxapp0000000000001 is on the app channel; only official_account and website apps redirect',
      expect.stringMatching(/^WECHAT_REDIRECT_URIS: entry 2 has a URI that is neither/),
      'WECHAT_REDIRECT_URIS: entry 3 is not appId=uri|uri of a configured app',
    ]);
  });

  it('refuses sandbox mode under NODE_ENV=production', () => {
    expect(problemsOf({ ...PRODUCTION_ENV(), APP_MODE: 'sandbox' })).toEqual([
      'APP_MODE: sandbox mode is refused when NODE_ENV=production',
    ]);
  });

  it('refuses SQLite, plain-http WeChat and the console SMS provider in production', () => {
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      DATABASE_URL: 'sqlite:data/x.sqlite',
      WECHAT_API_BASE: 'http://api.weixin.qq.com',
      SMS_PROVIDER: 'console',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'SMS_PROVIDER', 'WECHAT_API_BASE']);
  });

  it('names malformed values without echoing them', () => {
    const secret = 'short';
    const problems = problemsOf({
      ...PRODUCTION_ENV(),
      WECHAT_APPS: `wx1234567890abcdef:${secret}`,
      TOKEN_ENCRYPTION_KEYS: 'k1:bm90MzJieXRlcw==',
      SESSION_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\\nnonsense\\n-----END PRIVATE KEY-----',
      PORT: 'eighty',
      TRUST_PROXY: 'maybe; rm -rf',
      ADMIN_PHONES: '13800138000',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['ADMIN_PHONES', 'PORT', 'SESSION_SIGNING_KEY', 'TOKEN_ENCRYPTION_KEYS', 'TRUST_PROXY', 'WECHAT_APPS'].sort(),
    );
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).not.toContain('nonsense');
  });

  it('requires each SMS provider setting only when that provider is chosen', () => {
    const base = PRODUCTION_ENV();
    delete base.SMS_WEBHOOK_URL;
    delete base.SMS_WEBHOOK_SECRET;
    expect(problemsOf({ ...base, SMS_PROVIDER: 'webhook' }).map((p) => p.split(':')[0])).toEqual([
      'SMS_WEBHOOK_URL',
      'SMS_WEBHOOK_SECRET',
    ]);
    expect(problemsOf({ ...base, SMS_PROVIDER: 'tencent' })).toHaveLength(5);
    expect(problemsOf({ ...base, SMS_PROVIDER: 'aliyun' })).toHaveLength(4);
  });

  it('runs production without a captcha provider as SMS_CAPTCHA=off, and refuses the sandbox captcha there', () => {
    const { CAPTCHA_PROVIDER: _p, ...withoutCaptcha } = PRODUCTION_ENV();
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...withoutCaptcha }).captcha).toBeNull();
    expect(problemsOf({ ...PRODUCTION_ENV(), CAPTCHA_PROVIDER: 'sandbox' })).toEqual([
      expect.stringMatching(/^CAPTCHA_PROVIDER: sandbox is a fake/),
    ]);
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...withoutCaptcha, SMS_CAPTCHA: 'off' }).captcha).toBeNull();
    const { ALIYUN_CAPTCHA_SCENE_ID: _s, ...withoutScene } = PRODUCTION_ENV();
    expect(problemsOf(withoutScene)).toEqual(['ALIYUN_CAPTCHA_SCENE_ID: required when CAPTCHA_PROVIDER=aliyun']);
    expect(loadAppConfig({ DATA_DIR: dataDir(), ...PRODUCTION_ENV() }).captcha).toEqual({
      provider: 'aliyun',
      aliyun: expect.objectContaining({
        sceneId: 'scene-sms',
        endpoint: 'captcha.cn-shanghai.aliyuncs.com',
        region: 'cn',
      }),
    });
    // The sandbox needs nothing: its own fake captcha.
    expect(loadAppConfig({ DATA_DIR: dataDir() }).captcha).toEqual({ provider: 'sandbox' });
  });

  it('reads per-country SMS budgets and REDIS_URL', () => {
    const config = loadAppConfig({
      DATA_DIR: dataDir(),
      SMS_COUNTRY_PER_HOUR: 'CN:5000,hk:200,*:100',
      REDIS_URL: 'redis://:pw@127.0.0.1:6379/2',
    });
    expect(config.sms.limits.perCountryPerHour).toEqual({ CN: 5000, HK: 200, '*': 100 });
    expect(config.redis).toEqual({ url: 'redis://:pw@127.0.0.1:6379/2', keyPrefix: 'wechat-login:' });
    expect(problemsOf({ SMS_COUNTRY_PER_HOUR: 'lots', REDIS_URL: 'http://x' }).map((p) => p.split(':')[0])).toEqual([
      'SMS_COUNTRY_PER_HOUR',
      'REDIS_URL',
    ]);
  });

  it('parses TRUST_PROXY as off, a hop count or addresses', () => {
    const trust = (value: string): unknown => loadAppConfig({ DATA_DIR: dataDir(), TRUST_PROXY: value }).trustProxy;
    expect(loadAppConfig({ DATA_DIR: dataDir() }).trustProxy).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 127.0.0.1, loopback, fd00::/8')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'loopback',
      'fd00::/8',
    ]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0' })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
  });

  it('parses TRUSTED_SOURCES as addresses and CIDRs, empty by default', () => {
    const trusted = (value: string): unknown =>
      loadAppConfig({ DATA_DIR: dataDir(), TRUSTED_SOURCES: value }).trustedSources;
    expect(loadAppConfig({ DATA_DIR: dataDir() }).trustedSources).toEqual([]);
    expect(trusted('127.0.0.1, 10.0.0.0/8,2001:db8::/32')).toEqual(['127.0.0.1', '10.0.0.0/8', '2001:db8::/32']);
    expect(problemsOf({ TRUSTED_SOURCES: 'loopback' })).toEqual([expect.stringMatching(/^TRUSTED_SOURCES: /)]);
    expect(problemsOf({ TRUSTED_SOURCES: '10.0.0.0/33' })).toEqual([expect.stringMatching(/^TRUSTED_SOURCES: /)]);
  });

  it('refuses TRUST_PROXY=true in production: the client would choose its own IP', () => {
    const problems = problemsOf({ ...PRODUCTION_ENV(), TRUST_PROXY: 'true' });
    expect(problems).toEqual([expect.stringMatching(/^TRUST_PROXY: true would let any client choose its own IP/)]);
    expect(loadAppConfig({ ...PRODUCTION_ENV(), DATA_DIR: dataDir(), TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('masks sensitive variables when the environment is described', () => {
    const env = PRODUCTION_ENV();
    const lines = describeEnvironment(env).join('\n');
    expect(lines).toContain('SMS_PROVIDER=webhook');
    expect(lines).toContain('SESSION_SIGNING_KEY=********');
    expect(lines).toContain('DATABASE_URL=********');
    expect(lines).not.toContain('0123456789abcdef0123456789abcdef');
    expect(lines).not.toContain('webhook-secret-value');
  });
});
