import { createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAppConfig } from './app-config';
import { ALIPAY_DEFAULT_GATEWAY, SANDBOX_ALIPAY_APP_ID } from './areas/alipay.config';
import { SENSITIVE_VARIABLES } from './env.variables';

// ALIPAY_*: all-or-nothing, several apps by position, the key forms Alipay's tools hand out.

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wl-alipay-'));
const rsa = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits });
const app = rsa();
const alipay = rsa();
const app2 = rsa();

const pem = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'spki'): string =>
  key.export({ type, format: 'pem' } as never).toString();
// Alipay's key tool and console: the DER's base64 on one line, no PEM armour.
const bare = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'spki'): string =>
  (key.export({ type, format: 'der' } as never) as Buffer).toString('base64');

const ENV = (): Record<string, string> => ({
  ALIPAY_APP_ID: '2021000000000011',
  ALIPAY_PRIVATE_KEY: bare(app.privateKey, 'pkcs8'),
  ALIPAY_PUBLIC_KEY: bare(alipay.publicKey, 'spki'),
  ALIPAY_KEY_ON: 'open_id',
});

const PRODUCTION = (): Record<string, string> => ({
  NODE_ENV: 'production',
  SMS_CAPTCHA: 'off',
  DATABASE_URL: 'mysql://app:pw@db.internal:3306/wechat_login',
  WECHAT_APPS: 'wx1234567890abcdef:0123456789abcdef0123456789abcdef',
  TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  SESSION_SIGNING_KEY: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.internal/send',
  SMS_WEBHOOK_SECRET: 'webhook-secret-value',
});

const alipayOf = (env: Record<string, string>) => loadAppConfig({ DATA_DIR: dataDir(), ...env }).providers.alipay;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig({ DATA_DIR: dataDir(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

// Two keys match when their public halves do.
const spki = (key: KeyObject): Buffer =>
  (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
const same = (a: KeyObject, b: KeyObject): boolean => spki(a).equals(spki(b));

describe('Alipay configuration', () => {
  it('the zero-config sandbox has one app on the in-process fake, its keys made at first use', () => {
    expect(alipayOf({})).toEqual({
      apps: [{ appId: SANDBOX_ALIPAY_APP_ID, keyOn: 'open_id', keys: null }],
      gateway: null,
    });
  });

  it('is off in production when nothing is set', () => {
    expect(alipayOf(PRODUCTION())).toBeNull();
  });

  it('reads one app from the key tool’s bare base64, with the real gateway by default', () => {
    const config = alipayOf({ ...PRODUCTION(), ...ENV() })!;
    expect(config.gateway).toBe(ALIPAY_DEFAULT_GATEWAY);
    expect(config.apps).toHaveLength(1);
    expect(config.apps[0]).toMatchObject({ appId: '2021000000000011', keyOn: 'open_id' });
    expect(same(config.apps[0].keys!.privateKey, app.publicKey)).toBe(true);
    expect(same(config.apps[0].keys!.alipayPublicKey, alipay.publicKey)).toBe(true);
  });

  it('accepts PEM (with \\n escapes), the base64 of a PEM, and PKCS#1 keys', () => {
    for (const [privateKey, publicKey] of [
      [pem(app.privateKey, 'pkcs8').replace(/\n/g, '\\n'), pem(alipay.publicKey, 'spki')],
      [Buffer.from(pem(app.privateKey, 'pkcs1')).toString('base64'), bare(alipay.publicKey, 'pkcs1')],
      [bare(app.privateKey, 'pkcs1'), Buffer.from(pem(alipay.publicKey, 'pkcs1')).toString('base64')],
    ]) {
      const [only] = alipayOf({ ...ENV(), ALIPAY_PRIVATE_KEY: privateKey, ALIPAY_PUBLIC_KEY: publicKey })!.apps;
      expect(same(only.keys!.privateKey, app.publicKey)).toBe(true);
      expect(same(only.keys!.alipayPublicKey, alipay.publicKey)).toBe(true);
    }
  });

  it('several apps: one value for all, or one per app in ALIPAY_APP_ID’s order; the first is the default', () => {
    const config = alipayOf({
      ...ENV(),
      ALIPAY_APP_ID: '2021000000000011, 2021000000000022',
      ALIPAY_PRIVATE_KEY: `${bare(app.privateKey, 'pkcs8')},${bare(app2.privateKey, 'pkcs8')}`,
      ALIPAY_KEY_ON: 'open_id,USER_ID',
      ALIPAY_GATEWAY: 'http://127.0.0.1:4205/gateway.do',
    })!;
    expect(config.gateway).toBe('http://127.0.0.1:4205/gateway.do');
    expect(config.apps.map((a) => [a.appId, a.keyOn])).toEqual([
      ['2021000000000011', 'open_id'],
      ['2021000000000022', 'user_id'],
    ]);
    expect(same(config.apps[1].keys!.privateKey, app2.publicKey)).toBe(true);
    // One Alipay public key given: every app's.
    expect(same(config.apps[1].keys!.alipayPublicKey, alipay.publicKey)).toBe(true);
  });

  it('names every bad variable, never its value', () => {
    const small = bare(rsa(1024).privateKey, 'pkcs8');
    const problems = problemsOf({
      ...PRODUCTION(),
      ALIPAY_APP_ID: '2021000000000011,2021000000000022,2021000000000033',
      ALIPAY_PRIVATE_KEY: `${small},${bare(app.privateKey, 'pkcs8')}`,
      ALIPAY_PUBLIC_KEY: pem(app.privateKey, 'pkcs8'),
      ALIPAY_KEY_ON: 'unionid',
      ALIPAY_GATEWAY: 'http://openapi.alipay.com/gateway.do',
    });
    expect(problems).toEqual([
      'ALIPAY_GATEWAY: an https URL in production',
      'ALIPAY_PRIVATE_KEY: one value, or one per app id (3)',
      expect.stringMatching(/^ALIPAY_PUBLIC_KEY: Alipay's RSA public keys/),
      'ALIPAY_KEY_ON: user_id or open_id',
    ]);
    expect(problemsOf({ ...ENV(), ALIPAY_PRIVATE_KEY: small })).toEqual([
      expect.stringMatching(/^ALIPAY_PRIVATE_KEY: RSA private keys of at least 2048 bits/),
    ]);
    expect(problemsOf({ ...ENV(), ALIPAY_APP_ID: 'wx1234' })).toEqual([
      'ALIPAY_APP_ID: distinct 16-digit Alipay app ids, comma-separated',
    ]);
    expect(problems.join('\n')).not.toContain(small.slice(10, 40));
  });

  it('is all-or-nothing, and the private key is masked when configuration is printed', () => {
    const { ALIPAY_KEY_ON: _keyOn, ...partial } = ENV();
    expect(problemsOf(partial)).toEqual([
      'ALIPAY_KEY_ON: Alipay needs all of ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY, ALIPAY_KEY_ON (or none of them to turn it off)',
    ]);
    expect(SENSITIVE_VARIABLES.has('ALIPAY_PRIVATE_KEY')).toBe(true);
  });
});
