import { createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { type ConfigVariable, defineVariables, EnvReader, int, safeUrl, secret, text } from '../env-reader';
import { type AlipayConfig, ALIPAY_VARIABLES, readAlipay } from './alipay.config';
import { QQ_VARIABLES, type QqConfig, readQq } from './qq.config';

// Sign in with Apple, Huawei ID and carrier one-tap. Each provider is all-or-nothing: configured when
// every one of its variables is set, absent when none is, refused when only some are. With none set,
// the sandbox points each provider at its in-process fake (null bases) with sandbox credentials.

export interface AppleSettings {
  bundleIds: string[];
  teamId: string;
  keyId: string;
  /** The team's Sign in with Apple key (EC P-256), signing our client_secret JWTs. */
  privateKey: KeyObject;
  /** null: the in-process fake under /sandbox/apple. */
  apiBase: string | null;
  issuer: string;
}

export interface HuaweiSettings {
  clientId: string;
  clientSecret: string;
  /** Token endpoint and JWKS host; null: the in-process fake under /sandbox/huawei. */
  oauthBase: string | null;
  /** The user-info API host; null: the in-process fake. */
  accountBase: string | null;
  issuer: string;
  /** The event subscription's secret (base64), for the user-information change events; null: no receiver. */
  eventSecret: string | null;
}

export interface CarrierSettings {
  vendor: 'aliyun';
  accessKeyId: string;
  accessKeySecret: string;
  /** host[:port][/path] and protocol; null endpoint: the in-process fake under /sandbox/carrier. */
  endpoint: string | null;
  protocol: 'https' | 'http';
}

export interface ProvidersSettings {
  timeoutMs: number;
  budgetMs: number;
  apple: AppleSettings | null;
  huawei: HuaweiSettings | null;
  carrier: CarrierSettings | null;
  alipay: AlipayConfig | null;
  qq: QqConfig | null;
}

export const PROVIDERS_VARIABLES = defineVariables({
  PROVIDER_TIMEOUT_MS: int('timeout of one Apple, Huawei or carrier call in ms (default 3000)', 3000, 100, 60000),
  PROVIDER_BUDGET_MS: int('total time for one provider operation with its retries (default 8000)', 8000, 100, 120000),
  APPLE_BUNDLE_IDS: text('Sign in with Apple: our iOS bundle ids, comma-separated (the token audiences)'),
  APPLE_TEAM_ID: text('Sign in with Apple: the 10-character Team ID'),
  APPLE_KEY_ID: text('Sign in with Apple: the Key ID of the Sign in with Apple key'),
  APPLE_PRIVATE_KEY: secret('Sign in with Apple: the .p8 key (PKCS#8 PEM, or its base64) that signs client_secret'),
  APPLE_API_BASE: text('Apple base URL for /auth/keys, /auth/token, /auth/revoke (default https://appleid.apple.com)'),
  APPLE_ISSUER: text('expected iss of identity tokens (default APPLE_API_BASE)'),
  HUAWEI_CLIENT_ID: text('Huawei ID: the OAuth 2.0 client ID (AppGallery Connect)'),
  HUAWEI_CLIENT_SECRET: secret('Huawei ID: the OAuth 2.0 client secret'),
  HUAWEI_OAUTH_BASE: text('Huawei OAuth server (default https://oauth-login.cloud.huawei.com)'),
  HUAWEI_ACCOUNT_BASE: text('Huawei user-info API (default https://account.cloud.huawei.com)'),
  HUAWEI_ISSUER: text('expected iss of Huawei id_tokens (default https://accounts.huawei.com)'),
  HUAWEI_EVENT_SECRET: secret(
    'Huawei ID: the base64 secret of the user-information change event subscription (none: no /providers/huawei/events)',
  ),
  CARRIER_ACCESS_KEY_ID: secret('carrier one-tap (Alibaba Cloud Dypnsapi): AccessKey id'),
  CARRIER_ACCESS_KEY_SECRET: secret('carrier one-tap (Alibaba Cloud Dypnsapi): AccessKey secret'),
  CARRIER_ENDPOINT: text('Dypnsapi endpoint host or URL (default dypnsapi.aliyuncs.com)'),
  ...ALIPAY_VARIABLES,
  ...QQ_VARIABLES,
});
const V = PROVIDERS_VARIABLES;

export const APPLE_DEFAULT_BASE = 'https://appleid.apple.com';
export const HUAWEI_DEFAULT_OAUTH_BASE = 'https://oauth-login.cloud.huawei.com';
export const HUAWEI_DEFAULT_ACCOUNT_BASE = 'https://account.cloud.huawei.com';
export const HUAWEI_DEFAULT_ISSUER = 'https://accounts.huawei.com';
export const CARRIER_DEFAULT_ENDPOINT = 'dypnsapi.aliyuncs.com';

export const SANDBOX_APPLE = { bundleIds: ['com.example.sandbox'], teamId: 'SANDBOXTM1', keyId: 'SANDBOXK01' };
export const SANDBOX_HUAWEI = {
  clientId: '100000001',
  clientSecret: 'sandbox-huawei-client-secret-0001',
  eventSecret: Buffer.from('sandbox-huawei-event-secret-000000001').toString('base64'),
};
export const SANDBOX_CARRIER = { accessKeyId: 'LTAIsandbox000001', accessKeySecret: 'sandboxCarrierAccessKeySecret01' };

const APPLE_VARIABLES = [V.APPLE_BUNDLE_IDS, V.APPLE_TEAM_ID, V.APPLE_KEY_ID, V.APPLE_PRIVATE_KEY];
const HUAWEI_VARIABLES = [V.HUAWEI_CLIENT_ID, V.HUAWEI_CLIENT_SECRET];
const CARRIER_VARIABLES = [V.CARRIER_ACCESS_KEY_ID, V.CARRIER_ACCESS_KEY_SECRET];

const BUNDLE_ID = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const APPLE_TEN = /^[A-Z0-9]{10}$/;

export function readProviders(reader: EnvReader, production: boolean): ProvidersSettings {
  const problems = reader.problems;
  return {
    timeoutMs: reader.int(V.PROVIDER_TIMEOUT_MS),
    budgetMs: reader.int(V.PROVIDER_BUDGET_MS),
    apple: readApple(reader, production, problems),
    huawei: readHuawei(reader, production, problems),
    carrier: readCarrier(reader, production, problems),
    alipay: readAlipay(reader, production),
    qq: readQq(reader, production),
  };
}

/** Which of a provider's variables are set: 'none', 'all', or the names of the missing ones. */
function presence(reader: EnvReader, variables: readonly ConfigVariable[]): 'none' | 'all' | string[] {
  const missing = variables.filter((variable) => reader.string(variable) === undefined).map((v) => v.name);
  if (missing.length === variables.length) return 'none';
  return missing.length === 0 ? 'all' : missing;
}

function halfConfigured(
  problems: string[],
  provider: string,
  variables: readonly ConfigVariable[],
  missing: string[],
): void {
  const names = variables.map((v) => v.name);
  problems.push(
    `${missing.join(', ')}: ${provider} needs all of ${names.join(', ')} (or none of them to turn it off); missing ${missing.join(', ')}`,
  );
}

function readBase(
  reader: EnvReader,
  variable: ConfigVariable,
  production: boolean,
  problems: string[],
): string | undefined {
  const { name } = variable;
  const raw = reader.string(variable);
  if (raw === undefined) return undefined;
  const url = safeUrl(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    problems.push(`${name}: must be an http(s) URL`);
    return undefined;
  }
  if (production && url.protocol !== 'https:') {
    problems.push(`${name}: must be https in production`);
    return undefined;
  }
  return raw.replace(/\/+$/, '');
}

function readApple(reader: EnvReader, production: boolean, problems: string[]): AppleSettings | null {
  const apiBase = readBase(reader, V.APPLE_API_BASE, production, problems);
  const issuer = reader.string(V.APPLE_ISSUER);
  const state = presence(reader, APPLE_VARIABLES);
  if (state === 'none') {
    if (production) return null;
    return {
      ...SANDBOX_APPLE,
      privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
      apiBase: apiBase ?? null,
      issuer: issuer ?? apiBase ?? APPLE_DEFAULT_BASE,
    };
  }
  if (state !== 'all') {
    halfConfigured(problems, 'Sign in with Apple', APPLE_VARIABLES, state);
    return null;
  }
  const before = problems.length;
  const bundleIds = reader
    .string(V.APPLE_BUNDLE_IDS)!
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (bundleIds.length === 0 || bundleIds.some((id) => !BUNDLE_ID.test(id))) {
    problems.push('APPLE_BUNDLE_IDS: comma-separated bundle ids such as com.example.app');
  }
  const teamId = reader.string(V.APPLE_TEAM_ID)!;
  if (!APPLE_TEN.test(teamId)) problems.push('APPLE_TEAM_ID: the 10-character Team ID');
  const keyId = reader.string(V.APPLE_KEY_ID)!;
  if (!APPLE_TEN.test(keyId)) problems.push('APPLE_KEY_ID: the 10-character Key ID of the Sign in with Apple key');
  const privateKey = readEcPrivateKey(reader.string(V.APPLE_PRIVATE_KEY)!);
  if (!privateKey) {
    problems.push('APPLE_PRIVATE_KEY: the .p8 key (PKCS#8 PEM, EC P-256), or its base64');
  }
  if (problems.length > before || !privateKey) return null;
  const base = apiBase ?? APPLE_DEFAULT_BASE;
  return { bundleIds, teamId, keyId, privateKey, apiBase: base, issuer: issuer ?? base };
}

function readEcPrivateKey(raw: string): KeyObject | null {
  const pem = raw.includes('-----BEGIN') ? raw.replace(/\\n/g, '\n') : Buffer.from(raw, 'base64').toString('utf8');
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return key;
  } catch {
    // reported by the caller without echoing the value
  }
  return null;
}

function readHuawei(reader: EnvReader, production: boolean, problems: string[]): HuaweiSettings | null {
  const oauthBase = readBase(reader, V.HUAWEI_OAUTH_BASE, production, problems);
  const accountBase = readBase(reader, V.HUAWEI_ACCOUNT_BASE, production, problems);
  const issuer = reader.string(V.HUAWEI_ISSUER) ?? HUAWEI_DEFAULT_ISSUER;
  const eventSecret = reader.string(V.HUAWEI_EVENT_SECRET) ?? null;
  if (eventSecret !== null && !/^[A-Za-z0-9+/]{16,}={0,2}$/.test(eventSecret)) {
    problems.push('HUAWEI_EVENT_SECRET: the base64 secret from AppGallery Connect');
  }
  const state = presence(reader, HUAWEI_VARIABLES);
  if (state === 'none') {
    if (production) return null;
    return {
      ...SANDBOX_HUAWEI,
      eventSecret: eventSecret ?? SANDBOX_HUAWEI.eventSecret,
      oauthBase: oauthBase ?? null,
      accountBase: accountBase ?? oauthBase ?? null,
      issuer,
    };
  }
  if (state !== 'all') {
    halfConfigured(problems, 'Huawei ID', HUAWEI_VARIABLES, state);
    return null;
  }
  const clientId = reader.string(V.HUAWEI_CLIENT_ID)!;
  if (!/^\d{6,20}$/.test(clientId)) {
    problems.push('HUAWEI_CLIENT_ID: the numeric OAuth 2.0 client ID from AppGallery Connect');
    return null;
  }
  return {
    clientId,
    clientSecret: reader.string(V.HUAWEI_CLIENT_SECRET)!,
    oauthBase: oauthBase ?? HUAWEI_DEFAULT_OAUTH_BASE,
    accountBase: accountBase ?? HUAWEI_DEFAULT_ACCOUNT_BASE,
    issuer,
    eventSecret,
  };
}

function readCarrier(reader: EnvReader, production: boolean, problems: string[]): CarrierSettings | null {
  const endpoint = readEndpoint(reader, production, problems);
  const state = presence(reader, CARRIER_VARIABLES);
  if (state === 'none') {
    if (production) return null;
    return {
      vendor: 'aliyun',
      ...SANDBOX_CARRIER,
      endpoint: endpoint?.endpoint ?? null,
      protocol: endpoint?.protocol ?? 'http',
    };
  }
  if (state !== 'all') {
    halfConfigured(problems, 'Carrier one-tap', CARRIER_VARIABLES, state);
    return null;
  }
  return {
    vendor: 'aliyun',
    accessKeyId: reader.string(V.CARRIER_ACCESS_KEY_ID)!,
    accessKeySecret: reader.string(V.CARRIER_ACCESS_KEY_SECRET)!,
    endpoint: endpoint?.endpoint ?? CARRIER_DEFAULT_ENDPOINT,
    protocol: endpoint?.protocol ?? 'https',
  };
}

// A bare host (the SDK's own form) means https; a URL may say http for a fake.
function readEndpoint(
  reader: EnvReader,
  production: boolean,
  problems: string[],
): { endpoint: string; protocol: 'https' | 'http' } | undefined {
  const raw = reader.string(V.CARRIER_ENDPOINT);
  if (raw === undefined) return undefined;
  const match = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?)$/.exec(raw);
  if (!match) {
    problems.push('CARRIER_ENDPOINT: a host such as dypnsapi.aliyuncs.com, or an http(s) URL');
    return undefined;
  }
  const protocol = (match[1] ?? 'https') as 'https' | 'http';
  if (production && protocol !== 'https') {
    problems.push('CARRIER_ENDPOINT: must be https in production');
    return undefined;
  }
  return { endpoint: match[2].replace(/\/+$/, ''), protocol };
}
