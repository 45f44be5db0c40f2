import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { defineVariables, EnvReader, safeUrl, secret, text } from '../env-reader';

// Alipay login (the app's 授权登录, mini programs' my.getAuthCode): one or more Alipay apps, each with
// our RSA2 private key and Alipay's public key for it. All-or-nothing like the other providers; with
// none set, the sandbox has one app on the in-process fake (/sandbox/alipay), with keys made at first
// use (two RSA-2048 pairs cost a quarter second: no boot and no test that never logs in pays for them).

export type AlipayKeyOn = 'user_id' | 'open_id';

export interface AlipayAppConfig {
  /** The APPID on Alipay Open Platform. */
  appId: string;
  /** Which id the app's answers carry (Alipay's openid migration): the subject of its identities. */
  keyOn: AlipayKeyOn;
  /** Our private key and Alipay's public key for this app; null: the sandbox's keys, shared with its fake. */
  keys: { privateKey: KeyObject; alipayPublicKey: KeyObject } | null;
}

export interface AlipayConfig {
  /** The first is the one used when the client names none. */
  apps: AlipayAppConfig[];
  /** The gateway URL; null: the in-process fake's /sandbox/alipay/gateway.do. */
  gateway: string | null;
}

const LIST = 'comma-separated, in ALIPAY_APP_ID’s order (or one for every app)';

export const ALIPAY_VARIABLES = defineVariables({
  ALIPAY_APP_ID: text('Alipay login: our Alipay app ids (APPID), comma-separated; the first is the default'),
  ALIPAY_PRIVATE_KEY: secret(
    `Alipay login: each app's RSA2 private key (PEM, its base64, or the key tool's bare base64), ${LIST}`,
  ),
  ALIPAY_PUBLIC_KEY: text(`Alipay login: Alipay's public key of each app (PEM, its base64, or bare base64), ${LIST}`),
  ALIPAY_KEY_ON: text(
    `Alipay login: user_id or open_id, what each app's answers carry (no default: switching later splits everyone), ${LIST}`,
  ),
  ALIPAY_GATEWAY: text('Alipay gateway (default https://openapi.alipay.com/gateway.do)'),
});
const V = ALIPAY_VARIABLES;
const REQUIRED = [V.ALIPAY_APP_ID, V.ALIPAY_PRIVATE_KEY, V.ALIPAY_PUBLIC_KEY, V.ALIPAY_KEY_ON];

export const ALIPAY_DEFAULT_GATEWAY = 'https://openapi.alipay.com/gateway.do';
/** The sandbox's Alipay app (the fake's default app id; never a real one). */
export const SANDBOX_ALIPAY_APP_ID = '2021000000000001';

const APP_ID = /^\d{16}$/;
const KEY_ON: readonly string[] = ['user_id', 'open_id'];

export function readAlipay(reader: EnvReader, production: boolean): AlipayConfig | null {
  const problems = reader.problems;
  const gateway = readGateway(reader, production, problems);
  const set = REQUIRED.filter((variable) => reader.string(variable) !== undefined);
  if (set.length === 0) {
    if (production) return null;
    return { apps: [{ appId: SANDBOX_ALIPAY_APP_ID, keyOn: 'open_id', keys: null }], gateway: gateway ?? null };
  }
  if (set.length < REQUIRED.length) {
    const missing = REQUIRED.filter((variable) => !set.includes(variable)).map((v) => v.name);
    problems.push(
      `${missing.join(', ')}: Alipay needs all of ${REQUIRED.map((v) => v.name).join(', ')} (or none of them to turn it off)`,
    );
    return null;
  }
  const before = problems.length;
  const appIds = split(reader.string(V.ALIPAY_APP_ID)!);
  if (appIds.length === 0 || appIds.some((id) => !APP_ID.test(id)) || new Set(appIds).size !== appIds.length) {
    problems.push('ALIPAY_APP_ID: distinct 16-digit Alipay app ids, comma-separated');
    return null;
  }
  const perApp = <T>(name: string, values: string[], parse: (raw: string) => T | null, what: string): T[] => {
    if (values.length !== 1 && values.length !== appIds.length) {
      problems.push(`${name}: one value, or one per app id (${appIds.length})`);
      return [];
    }
    const parsed = values.map(parse);
    if (parsed.some((value) => value === null)) problems.push(`${name}: ${what}`);
    return appIds.map((_, i) => parsed[values.length === 1 ? 0 : i]!);
  };
  const privateKeys = perApp(
    'ALIPAY_PRIVATE_KEY',
    split(reader.string(V.ALIPAY_PRIVATE_KEY)!),
    privateKey,
    'RSA private keys of at least 2048 bits (PKCS#8 or PKCS#1; PEM, its base64, or bare base64)',
  );
  const publicKeys = perApp(
    'ALIPAY_PUBLIC_KEY',
    split(reader.string(V.ALIPAY_PUBLIC_KEY)!),
    publicKey,
    "Alipay's RSA public keys (PEM, its base64, or bare base64 as the console shows them)",
  );
  const keyOn = perApp(
    'ALIPAY_KEY_ON',
    split(reader.string(V.ALIPAY_KEY_ON)!.toLowerCase()),
    (raw) => (KEY_ON.includes(raw) ? (raw as AlipayKeyOn) : null),
    'user_id or open_id',
  );
  if (problems.length > before) return null;
  return {
    apps: appIds.map((appId, i) => ({
      appId,
      keyOn: keyOn[i],
      keys: { privateKey: privateKeys[i], alipayPublicKey: publicKeys[i] },
    })),
    gateway: gateway ?? ALIPAY_DEFAULT_GATEWAY,
  };
}

// PEM and base64 hold no commas: a list of keys splits on them.
function split(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function readGateway(reader: EnvReader, production: boolean, problems: string[]): string | undefined {
  const raw = reader.string(V.ALIPAY_GATEWAY);
  if (raw === undefined) return undefined;
  const url = safeUrl(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol) || (production && url.protocol !== 'https:')) {
    problems.push(`ALIPAY_GATEWAY: ${production ? 'an https URL in production' : 'an http(s) URL'}`);
    return undefined;
  }
  return raw;
}

/** PEM (with real or `\n` line breaks), the base64 of a PEM, or Alipay's bare base64 DER. */
function asPemOrDer(raw: string): { pem: string } | { der: Buffer } {
  if (raw.includes('-----BEGIN')) return { pem: raw.replace(/\\n/g, '\n') };
  const decoded = Buffer.from(raw, 'base64');
  const text = decoded.toString('utf8');
  return text.includes('-----BEGIN') ? { pem: text } : { der: decoded };
}

function privateKey(raw: string): KeyObject | null {
  const source = asPemOrDer(raw);
  const attempts: (() => KeyObject)[] =
    'pem' in source
      ? [() => createPrivateKey(source.pem)]
      : (['pkcs8', 'pkcs1'] as const).map((type) => () => createPrivateKey({ key: source.der, format: 'der', type }));
  const key = first(attempts);
  return key?.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? key : null;
}

function publicKey(raw: string): KeyObject | null {
  const source = asPemOrDer(raw);
  // A private key here would "work" (its public half): refuse it, it is in the wrong variable.
  if ('pem' in source && source.pem.includes('PRIVATE KEY')) return null;
  const attempts: (() => KeyObject)[] =
    'pem' in source
      ? [() => createPublicKey(source.pem)]
      : (['spki', 'pkcs1'] as const).map((type) => () => createPublicKey({ key: source.der, format: 'der', type }));
  const key = first(attempts);
  return key?.asymmetricKeyType === 'rsa' ? key : null;
}

// Failures are reported by the caller without echoing the value.
function first(attempts: (() => KeyObject)[]): KeyObject | null {
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // next form
    }
  }
  return null;
}
