import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ensureSandboxSecrets } from './sandbox-secrets';
import { SENSITIVE_VARIABLES } from './env.variables';

export type AppMode = 'sandbox' | 'production';
export type SmsProvider = 'console' | 'webhook' | 'tencent' | 'aliyun';
export type TrustProxy = boolean | number | string[];

export interface WechatAppCredentials {
  appId: string;
  secret: string;
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** How long one query, and one wait for a connection (a pool checkout, or SQLite's queue), may take. */
export interface DatabaseBounds {
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
}

export type DatabaseSettings = DatabaseBounds &
  ({ type: 'sqlite'; path: string } | { type: 'mysql'; flavor: 'mysql' | 'mariadb'; url: string; poolSize: number });

export interface SmsLimits {
  codeTtlSeconds: number;
  resendSeconds: number;
  perPhonePerDay: number;
  perIpPerMinute: number;
  perIpPerHour: number;
  maxAttempts: number;
  phoneFailuresPerHour: number;
}

export interface AppConfigValues {
  mode: AppMode;
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  database: DatabaseSettings;
  wechat: {
    apps: WechatAppCredentials[];
    /** null: the in-process fake under /sandbox/wechat on this service's own port. */
    apiBase: string | null;
    timeoutMs: number;
    budgetMs: number;
    requireState: boolean;
    refreshTokenTtlDays: number;
  };
  tokenEncryptionKeys: EncryptionKey[];
  session: {
    signingKey: KeyObject;
    /** Earlier signing keys' public halves: still verified and published for rotation. */
    verifyKeys: KeyObject[];
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    idleDays: number;
    absoluteDays: number;
  };
  sms: {
    provider: SmsProvider;
    consoleLogCodes: boolean;
    limits: SmsLimits;
    webhook?: { url: string; secret: string };
    tencent?: {
      secretId: string;
      secretKey: string;
      sdkAppId: string;
      signName: string;
      templateId: string;
      region: string;
    };
    aliyun?: { accessKeyId: string; accessKeySecret: string; signName: string; templateCode: string };
  };
  allowedPhoneRegions: string[];
  adminPhones: string[];
  /** Express's `trust proxy`: off, a hop count, or proxy addresses/CIDRs (`true`: sandbox only). */
  trustProxy: TrustProxy;
  throttlePublicPerMinute: number;
  /** When set, /metrics answers only this bearer token. */
  metricsToken: string | null;
  tokenRefresh: {
    enabled: boolean;
    intervalSeconds: number;
    windowSeconds: number;
    concurrency: number;
    perMinute: number;
    batch: number;
    leaseSeconds: number;
  };
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxTokens: number;
    schemaFile: string | null;
  };
  httpBodyLimit: string;
  /** At SIGTERM, how long readiness is red while requests are still served. */
  shutdownDrainMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const SANDBOX_WECHAT_APP: WechatAppCredentials = {
  appId: 'wxsandbox00000001',
  secret: 'sandboxappsecret0000000000000001',
};

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const APP_ID = /^wx[0-9A-Za-z]{8,32}$/;
const APP_SECRET = /^[0-9A-Za-z_-]{16,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Reads and validates the whole environment at once. Every bad variable is collected, so that one
 * error names them all; nothing here prints a value of a sensitive variable.
 */
export function loadAppConfig(env: Env = process.env, cwd = process.cwd()): AppConfigValues {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const nodeEnv = env.NODE_ENV?.trim();
  const appMode = reader.enum('APP_MODE', ['sandbox', 'production'] as const);
  let mode: AppMode = nodeEnv === 'production' || appMode === 'production' ? 'production' : 'sandbox';
  if (nodeEnv === 'production' && appMode === 'sandbox') {
    problems.push('APP_MODE: sandbox mode is refused when NODE_ENV=production');
    mode = 'production';
  }
  const production = mode === 'production';

  const port = reader.int('PORT', 3000, 0, 65535);
  const host = reader.string('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1');
  const dataDirRaw = reader.string('DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const logLevel = reader.enum('LOG_LEVEL', LOG_LEVELS) ?? 'info';

  const database = readDatabase(reader, production, dataDir, problems);
  const apps = readWechatApps(reader, production, problems);

  const apiBaseRaw = reader.string('WECHAT_API_BASE');
  let apiBase: string | null = production ? 'https://api.weixin.qq.com' : null;
  if (apiBaseRaw !== undefined) {
    const url = safeUrl(apiBaseRaw);
    if (!url || !['http:', 'https:'].includes(url.protocol)) {
      problems.push('WECHAT_API_BASE: must be an http(s) URL');
    } else if (production && url.protocol !== 'https:') {
      problems.push('WECHAT_API_BASE: must be https in production');
    } else {
      apiBase = apiBaseRaw.replace(/\/+$/, '');
    }
  }

  const sandboxSecrets = production ? null : ensureSandboxSecrets(dataDir);
  const tokenEncryptionKeys = reader.string('TOKEN_ENCRYPTION_KEYS')
    ? readEncryptionKeys(reader, problems)
    : sandboxSecrets
      ? [sandboxSecrets.tokenEncryptionKey]
      : missing(problems, 'TOKEN_ENCRYPTION_KEYS', []);
  const signingKey = reader.string('SESSION_SIGNING_KEY')
    ? readSigningKey(reader, problems)
    : (sandboxSecrets?.signingKey ?? missing(problems, 'SESSION_SIGNING_KEY', undefined));

  const sms = readSms(reader, production, problems);

  const regions = (reader.string('ALLOWED_PHONE_REGIONS') ?? 'CN').split(',').map((r) => r.trim().toUpperCase());
  if (regions.some((r) => !/^[A-Z]{2}$/.test(r))) {
    problems.push('ALLOWED_PHONE_REGIONS: comma-separated ISO 3166 two-letter codes, e.g. CN,HK');
  }
  const adminPhones = (reader.string('ADMIN_PHONES') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (adminPhones.some((p) => !E164.test(p))) {
    problems.push('ADMIN_PHONES: comma-separated E.164 numbers such as +8613800138000');
  }

  const config: AppConfigValues = {
    mode,
    port,
    host,
    dataDir,
    logLevel,
    database,
    wechat: {
      apps,
      apiBase,
      timeoutMs: reader.int('WECHAT_TIMEOUT_MS', 3000, 100, 60000),
      budgetMs: reader.int('WECHAT_BUDGET_MS', 8000, 100, 120000),
      requireState: reader.bool('WECHAT_REQUIRE_STATE', true),
      refreshTokenTtlDays: reader.int('WECHAT_REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    },
    tokenEncryptionKeys,
    session: {
      signingKey: signingKey as KeyObject,
      verifyKeys: readVerifyKeys(reader, problems),
      issuer: reader.string('SESSION_ISSUER') ?? 'wechat-login',
      audience: reader.string('SESSION_AUDIENCE') ?? 'mobile-apps',
      accessTtlSeconds: reader.int('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 900),
      idleDays: reader.int('SESSION_IDLE_DAYS', 30, 1, 3650),
      absoluteDays: reader.int('SESSION_ABSOLUTE_DAYS', 90, 1, 3650),
    },
    sms,
    allowedPhoneRegions: regions,
    adminPhones,
    trustProxy: readTrustProxy(reader, production, problems),
    throttlePublicPerMinute: reader.int('THROTTLE_PUBLIC_PER_MINUTE', 600, 1, 1_000_000),
    metricsToken: reader.string('METRICS_TOKEN') ?? null,
    tokenRefresh: {
      enabled: reader.bool('TOKEN_REFRESH_ENABLED', true),
      intervalSeconds: reader.int('TOKEN_REFRESH_INTERVAL_SECONDS', 60, 5, 3600),
      windowSeconds: reader.int('TOKEN_REFRESH_WINDOW_SECONDS', 1800, 60, 7000),
      concurrency: reader.int('TOKEN_REFRESH_CONCURRENCY', 4, 1, 64),
      perMinute: reader.int('TOKEN_REFRESH_PER_MINUTE', 1000, 1, 50_000),
      batch: reader.int('TOKEN_REFRESH_BATCH', 200, 1, 5000),
      leaseSeconds: reader.int('TOKEN_REFRESH_LEASE_SECONDS', 120, 10, 3600),
    },
    graphql: {
      maxDepth: reader.int('GRAPHQL_MAX_DEPTH', 8, 2, 50),
      maxAliases: reader.int('GRAPHQL_MAX_ALIASES', 15, 1, 1000),
      maxCost: reader.int('GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
      maxTokens: reader.int('GRAPHQL_MAX_TOKENS', 2000, 50, 100_000),
      schemaFile: readSchemaFile(reader, production, cwd),
    },
    httpBodyLimit: reader.string('HTTP_BODY_LIMIT') ?? '64kb',
    shutdownDrainMs: reader.int('SHUTDOWN_DRAIN_MS', 5000, 0, 120_000),
  };
  if (!/^\d+(b|kb|mb)$/i.test(config.httpBodyLimit)) {
    problems.push('HTTP_BODY_LIMIT: a size such as 64kb or 1mb');
  }
  if (config.session.idleDays > config.session.absoluteDays) {
    problems.push('SESSION_IDLE_DAYS: must not exceed SESSION_ABSOLUTE_DAYS');
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return config;
}

/** The configuration as lines fit for a log: sensitive variables masked. */
export function describeEnvironment(env: Env = process.env): string[] {
  return Object.keys(env)
    .filter((name) =>
      /^(APP_|PORT$|HOST$|DATA_DIR$|LOG_LEVEL$|DATABASE_|WECHAT_|TOKEN_|SESSION_|SMS_|TENCENT_|ALIYUN_|ALLOWED_|ADMIN_|TRUST_|GRAPHQL_|HTTP_|SHUTDOWN_)/.test(
        name,
      ),
    )
    .sort()
    .map((name) => `${name}=${SENSITIVE_VARIABLES.has(name) ? '********' : env[name]}`);
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
    if (!parsed.success) {
      this.problems.push(`${name}: a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed.data;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name}: true or false`);
    return fallback;
  }

  enum<T extends readonly [string, ...string[]]>(name: string, values: T): T[number] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const parsed = z.enum(values).safeParse(raw.toLowerCase());
    if (!parsed.success) {
      this.problems.push(`${name}: one of ${values.join(', ')}`);
      return undefined;
    }
    return parsed.data;
  }
}

function missing<T>(problems: string[], name: string, fallback: T): T {
  problems.push(`${name}: required in production`);
  return fallback;
}

function safeUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

function readDatabase(reader: EnvReader, production: boolean, dataDir: string, problems: string[]): DatabaseSettings {
  const raw = reader.string('DATABASE_URL');
  const poolSize = reader.int('DATABASE_POOL_SIZE', 10, 1, 500);
  const bounds: DatabaseBounds = {
    queryTimeoutMs: reader.int('DATABASE_QUERY_TIMEOUT_MS', 5000, 100, 600_000),
    acquireTimeoutMs: reader.int('DATABASE_ACQUIRE_TIMEOUT_MS', 5000, 100, 600_000),
  };
  if (raw === undefined) {
    if (production) problems.push('DATABASE_URL: required in production (mysql://user:password@host:3306/database)');
    return { ...bounds, type: 'sqlite', path: resolve(dataDir, 'wechat-login.sqlite') };
  }
  if (/^(mysql|mariadb):\/\//i.test(raw)) {
    const url = safeUrl(raw);
    if (!url || url.pathname.length < 2) {
      problems.push('DATABASE_URL: mysql://user:password@host:3306/database, with the database name');
    }
    return { ...bounds, type: 'mysql', flavor: /^mariadb:/i.test(raw) ? 'mariadb' : 'mysql', url: raw, poolSize };
  }
  if (/^sqlite:/i.test(raw)) {
    if (production) problems.push('DATABASE_URL: production runs on MySQL (mysql://...), not SQLite');
    const path = raw.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '') problems.push('DATABASE_URL: sqlite:<file path> or sqlite::memory:');
    return {
      ...bounds,
      type: 'sqlite',
      path: path === ':memory:' || isAbsolute(path) ? path : resolve(dataDir, '..', path),
    };
  }
  problems.push('DATABASE_URL: must start with mysql:// (or sqlite: outside production)');
  return { ...bounds, type: 'sqlite', path: resolve(dataDir, 'wechat-login.sqlite') };
}

function readWechatApps(reader: EnvReader, production: boolean, problems: string[]): WechatAppCredentials[] {
  const list = reader.string('WECHAT_APPS');
  const singleId = reader.string('WECHAT_APP_ID');
  const singleSecret = reader.string('WECHAT_APP_SECRET');
  const apps: WechatAppCredentials[] = [];
  if (list !== undefined) {
    for (const [index, pair] of list.split(',').entries()) {
      const [appId, secret, ...rest] = pair.trim().split(':');
      if (!appId || !secret || rest.length > 0 || !APP_ID.test(appId) || !APP_SECRET.test(secret)) {
        problems.push(`WECHAT_APPS: entry ${index + 1} is not appId:appSecret (appId like wx0123456789abcdef)`);
        continue;
      }
      apps.push({ appId, secret });
    }
  }
  if (singleId !== undefined || singleSecret !== undefined) {
    if (!singleId || !APP_ID.test(singleId)) problems.push('WECHAT_APP_ID: an AppID like wx0123456789abcdef');
    if (!singleSecret || !APP_SECRET.test(singleSecret))
      problems.push('WECHAT_APP_SECRET: the AppSecret of WECHAT_APP_ID');
    if (singleId && singleSecret && APP_ID.test(singleId) && APP_SECRET.test(singleSecret)) {
      apps.push({ appId: singleId, secret: singleSecret });
    }
  }
  const ids = new Set<string>();
  for (const app of apps) {
    if (ids.has(app.appId)) problems.push(`WECHAT_APPS: AppID ${app.appId} is listed twice`);
    ids.add(app.appId);
  }
  if (apps.length === 0 && list === undefined && singleId === undefined && singleSecret === undefined) {
    if (production) {
      problems.push('WECHAT_APPS: required in production (or WECHAT_APP_ID and WECHAT_APP_SECRET)');
    } else {
      apps.push(SANDBOX_WECHAT_APP);
    }
  }
  return apps;
}

function readEncryptionKeys(reader: EnvReader, problems: string[]): EncryptionKey[] {
  const raw = reader.string('TOKEN_ENCRYPTION_KEYS') ?? '';
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of raw.split(',').entries()) {
    const [id, material, ...rest] = entry.trim().split(':');
    const key = material ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (!id || !KEY_ID.test(id) || rest.length > 0 || key.length !== 32) {
      problems.push(`TOKEN_ENCRYPTION_KEYS: entry ${index + 1} is not keyId:base64 of 32 random bytes`);
      continue;
    }
    if (keys.some((k) => k.id === id)) problems.push(`TOKEN_ENCRYPTION_KEYS: key id ${id} is listed twice`);
    keys.push({ id, key });
  }
  return keys;
}

function readSigningKey(reader: EnvReader, problems: string[]): KeyObject | undefined {
  const raw = reader.string('SESSION_SIGNING_KEY') ?? '';
  const pem = raw.includes('-----BEGIN') ? raw.replace(/\\n/g, '\n') : Buffer.from(raw, 'base64').toString('utf8');
  try {
    const key = createPrivateKey(pem);
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'ec' && curve === 'prime256v1')) {
      return key;
    }
  } catch {
    // reported below without echoing the value
  }
  problems.push('SESSION_SIGNING_KEY: a PKCS#8 PEM private key (EC P-256 or Ed25519), or its base64');
  return undefined;
}

function readSms(reader: EnvReader, production: boolean, problems: string[]): AppConfigValues['sms'] {
  const common = {
    consoleLogCodes: reader.bool('SMS_CONSOLE_LOG_CODES', true),
    limits: {
      codeTtlSeconds: reader.int('SMS_CODE_TTL_SECONDS', 300, 30, 3600),
      resendSeconds: reader.int('SMS_RESEND_SECONDS', 60, 1, 3600),
      perPhonePerDay: reader.int('SMS_PHONE_PER_DAY', 10, 1, 1000),
      perIpPerMinute: reader.int('SMS_IP_PER_MINUTE', 60, 1, 1_000_000),
      perIpPerHour: reader.int('SMS_IP_PER_HOUR', 600, 1, 1_000_000),
      maxAttempts: reader.int('SMS_MAX_ATTEMPTS', 5, 1, 20),
      phoneFailuresPerHour: reader.int('SMS_PHONE_FAILURES_PER_HOUR', 10, 1, 1000),
    },
  };
  const provider = reader.enum('SMS_PROVIDER', ['console', 'webhook', 'tencent', 'aliyun'] as const);
  if (provider === undefined) {
    if (production) problems.push('SMS_PROVIDER: required in production (webhook, tencent or aliyun)');
    return { provider: 'console', ...common };
  }
  if (provider === 'console' && production) {
    problems.push('SMS_PROVIDER: console prints codes to the log and is for the sandbox only');
  }
  const need = (name: string): string => {
    const value = reader.string(name);
    if (value === undefined) problems.push(`${name}: required when SMS_PROVIDER=${provider}`);
    return value ?? '';
  };
  switch (provider) {
    case 'console':
      return { provider, ...common };
    case 'webhook': {
      const url = need('SMS_WEBHOOK_URL');
      if (url && !safeUrl(url)) problems.push('SMS_WEBHOOK_URL: must be a URL');
      return { provider, ...common, webhook: { url, secret: need('SMS_WEBHOOK_SECRET') } };
    }
    case 'tencent':
      return {
        provider,
        ...common,
        tencent: {
          secretId: need('TENCENT_SMS_SECRET_ID'),
          secretKey: need('TENCENT_SMS_SECRET_KEY'),
          sdkAppId: need('TENCENT_SMS_SDK_APP_ID'),
          signName: need('TENCENT_SMS_SIGN_NAME'),
          templateId: need('TENCENT_SMS_TEMPLATE_ID'),
          region: reader.string('TENCENT_SMS_REGION') ?? 'ap-guangzhou',
        },
      };
    case 'aliyun':
      return {
        provider,
        ...common,
        aliyun: {
          accessKeyId: need('ALIYUN_SMS_ACCESS_KEY_ID'),
          accessKeySecret: need('ALIYUN_SMS_ACCESS_KEY_SECRET'),
          signName: need('ALIYUN_SMS_SIGN_NAME'),
          templateCode: need('ALIYUN_SMS_TEMPLATE_CODE'),
        },
      };
  }
}

function readVerifyKeys(reader: EnvReader, problems: string[]): KeyObject[] {
  const raw = reader.string('SESSION_VERIFY_KEYS');
  if (raw === undefined) return [];
  const keys: KeyObject[] = [];
  for (const [index, entry] of raw.split(',').entries()) {
    const text = entry.trim();
    const pem = text.includes('-----BEGIN') ? text.replace(/\\n/g, '\n') : Buffer.from(text, 'base64').toString('utf8');
    try {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
        keys.push(key);
        continue;
      }
    } catch {
      // reported below
    }
    problems.push(`SESSION_VERIFY_KEYS: entry ${index + 1} is not a public PEM key (EC P-256 or Ed25519)`);
  }
  return keys;
}

/**
 * Whose X-Forwarded-For to believe: nobody (false), the last N hops, or named proxies. `true` would
 * take the left-most address, which the client writes itself; production refuses it.
 */
function readTrustProxy(reader: EnvReader, production: boolean, problems: string[]): TrustProxy {
  const raw = reader.string('TRUST_PROXY');
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (['false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    if (production) {
      problems.push(
        'TRUST_PROXY: true would let any client choose its own IP through X-Forwarded-For; give the number of proxies in front (e.g. 1) or their addresses/CIDRs',
      );
      return false;
    }
    return true;
  }
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return entries;
  problems.push(
    'TRUST_PROXY: false, a hop count, or comma-separated proxy addresses/CIDRs (loopback, 10.0.0.0/8, ...)',
  );
  return false;
}

// What Express's trust proxy (proxy-addr) accepts: an address, address/prefix, or a named range.
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry.toLowerCase())) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function readSchemaFile(reader: EnvReader, production: boolean, cwd: string): string | null {
  const raw = reader.string('GRAPHQL_SCHEMA_FILE');
  if (raw === undefined) return production ? null : resolve(cwd, 'schema.gql');
  if (['false', 'off', 'none'].includes(raw.toLowerCase())) return null;
  return isAbsolute(raw) ? raw : resolve(cwd, raw);
}
