import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ProvidersSettings, readProviders } from './providers-config';
import { isRedirectUriEntry } from './redirect-uris';
import { CorsSettings, readCorsOrigins } from './cors-origins';
import { type EncryptionKey, ensureSandboxSecrets } from './sandbox-secrets';
import { SENSITIVE_VARIABLES } from './env.variables';

export type AppMode = 'sandbox' | 'production';
export type SmsProvider = 'console' | 'webhook' | 'tencent' | 'aliyun';
export type TrustProxy = boolean | number | string[];

export type WechatChannelName = 'app' | 'mini_program' | 'official_account' | 'website';
export const WECHAT_CHANNEL_NAMES: readonly WechatChannelName[] = [
  'app',
  'mini_program',
  'official_account',
  'website',
];

export interface WechatAppCredentials {
  appId: string;
  secret: string;
  /** Which WeChat channel the app serves; fixes the channel of every identity that comes through it. */
  channel: WechatChannelName;
  /** Web channels: where WeChat may send the browser back (exact URLs, or prefixes ending in `*`). */
  redirectUris: string[];
}

export type { EncryptionKey };

/** How long one query, and one wait for a connection (a pool checkout, or SQLite's queue), may take. */
export interface DatabaseBounds {
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
  /** A request's total time on the database: checkouts, queries and retries (DatabaseBudget). */
  requestBudgetMs?: number;
}

export type DatabaseSettings = DatabaseBounds &
  ({ type: 'sqlite'; path: string } | { type: 'mysql'; flavor: 'mysql' | 'mariadb'; url: string; poolSize: number });

export interface DatabaseRetrySettings {
  /** Tries in all, the first included. */
  attempts: number;
  /** Backoff before try n+1: a random wait up to min(maxMs, baseMs * 2^(n-1)). */
  baseMs: number;
  maxMs: number;
}

export interface SmsLimits {
  codeTtlSeconds: number;
  /** Hard: at most one code per phone this often, captcha or not. */
  resendSeconds: number;
  /** Hard: no more codes to one phone in 24 hours, captcha or not. */
  phoneHardPerDay: number;
  /** Wrong tries that kill a code for the source that asked for it (its device, else its IP). */
  maxAttempts: number;
  /** Wrong tries from every other source together, after which only the asking source may use the code. */
  maxForeignAttempts: number;
  /** Hard reserve a day for sources known to the owner (a device with a session of the phone's user). */
  phoneKnownPerDay: number;
  /** Verification budgets: wrong codes an hour per IP and per device, then a captcha per try. */
  verifyPerIpPerHour: number;
  verifyPerDevicePerHour: number;
  // Budgets: over one of them, a send needs a solved captcha (CAPTCHA_REQUIRED).
  perPhonePerHour: number;
  perPhonePerDay: number;
  perIpPerMinute: number;
  perIpPerHour: number;
  perDevicePerHour: number;
  perDevicePerDay: number;
  /** National digits after the country code that make a prefix (3: +86 138). */
  prefixDigits: number;
  perPrefixPerHour: number;
  /** Per ISO country; `*` for the others. */
  perCountryPerHour: Record<string, number>;
  globalPerHour: number;
}

/** Alibaba Cloud Captcha 2.0: the server verifies with the SDK, the client loads the scene. */
export interface AliyunCaptchaSettings {
  accessKeyId: string;
  accessKeySecret: string;
  sceneId: string;
  /** The account's identity prefix, which the client SDK needs. */
  prefix: string;
  /** The client SDK's region: cn (mainland) or sgp. */
  region: string;
  /** Host of the verification API, or a full http(s) URL (a fake in tests). */
  endpoint: string;
}

/** null: SMS_CAPTCHA=off (over a budget, a send is refused with SMS_RATE_LIMITED). */
export type CaptchaSettings = { provider: 'aliyun'; aliyun: AliyunCaptchaSettings } | { provider: 'sandbox' } | null;

export interface AppConfigValues {
  mode: AppMode;
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  database: DatabaseSettings;
  /** Transactions that lost a deadlock or a cluster certification are run again (see Database). */
  databaseRetry: DatabaseRetrySettings;
  wechat: {
    apps: WechatAppCredentials[];
    /** null: the in-process fake under /sandbox/wechat on this service's own port. */
    apiBase: string | null;
    timeoutMs: number;
    budgetMs: number;
    requireState: boolean;
    /** Base of WeChat's web authorize pages (official account, website QR). */
    openBase: string;
    /** Daily cap on billed getuserphonenumber successes, per mini program. */
    phoneDailyCap: number;
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
  /** A new person must bind a phone before the first session (China's real-name rules). */
  requirePhone: boolean;
  /** Express's `trust proxy`: off, a hop count, or proxy addresses/CIDRs (`true`: sandbox only). */
  trustProxy: TrustProxy;
  /** Browser origins allowed to call the service (CORS_ORIGINS; the sandbox adds loopback origins). */
  cors: CorsSettings;
  /**
   * Client addresses/CIDRs (load sources, the operator's own probes) that skip the general throttle
   * and the SMS budgets per IP, device, prefix, country and in all; per-phone limits still apply.
   */
  trustedSources: string[];
  throttlePublicPerMinute: number;
  /** Carrier one-tap's own limits (each attempt is billed by the carrier API). */
  carrierLimits: { perIpPerMinute: number; perDevicePerHour: number };
  captcha: CaptchaSettings;
  /** When set, counters (SMS budgets, the general throttle) live in Redis instead of the database. */
  redis: { url: string; keyPrefix: string } | null;
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
    /** Event-loop delay (ms) above which the job pauses so requests go first; 0 turns the gate off. */
    maxLagMs: number;
  };
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxTokens: number;
    schemaFile: string | null;
  };
  httpBodyLimit: string;
  /** Sign in with Apple, Huawei ID, carrier one-tap: null where not configured. */
  providers: ProvidersSettings;
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
  channel: 'app',
  redirectUris: [],
};

// Sandbox web apps accept any port and path on these hosts.
export const SANDBOX_REDIRECT_URIS = ['http://localhost:*/*', 'http://127.0.0.1:*/*'];

/**
 * The zero-config sandbox: one app per channel, all bound to one Open Platform account (shared
 * unionid), plus one app bound to none (openid only) to exercise a unionid that arrives late.
 */
export const SANDBOX_WECHAT_APPS: WechatAppCredentials[] = [
  SANDBOX_WECHAT_APP,
  { appId: 'wxsandboxmini0001', secret: 'sandboxappsecret0000000000000002', channel: 'mini_program', redirectUris: [] },
  {
    appId: 'wxsandboxoffi0001',
    secret: 'sandboxappsecret0000000000000003',
    channel: 'official_account',
    redirectUris: SANDBOX_REDIRECT_URIS,
  },
  {
    appId: 'wxsandboxweb00001',
    secret: 'sandboxappsecret0000000000000004',
    channel: 'website',
    redirectUris: SANDBOX_REDIRECT_URIS,
  },
  { appId: 'wxsandboxnoop0001', secret: 'sandboxappsecret0000000000000005', channel: 'mini_program', redirectUris: [] },
];
/** The sandbox app that is not bound to the Open Platform (the fake gives it no unionid). */
export const SANDBOX_UNBOUND_APP_ID = 'wxsandboxnoop0001';

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const APP_ID = /^wx[0-9A-Za-z]{8,32}$/;
const APP_SECRET = /^[0-9A-Za-z_-]{16,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** The sandbox's default ADMIN_PHONES: sign in with it on the playground (code in the SMS outbox). */
export const SANDBOX_ADMIN_PHONE = '+8613800000000';

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

  const openBaseRaw = reader.string('WECHAT_OPEN_BASE');
  let openBase = production
    ? 'https://open.weixin.qq.com'
    : `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/sandbox/wechat`;
  if (openBaseRaw !== undefined) {
    const url = safeUrl(openBaseRaw);
    if (!url || !['http:', 'https:'].includes(url.protocol)) problems.push('WECHAT_OPEN_BASE: must be an http(s) URL');
    else openBase = openBaseRaw.replace(/\/+$/, '');
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
  // The sandbox has an admin out of the box (the banner names it); production has none unless set.
  const adminPhones = (reader.string('ADMIN_PHONES') ?? (production ? '' : SANDBOX_ADMIN_PHONE))
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
    databaseRetry: {
      attempts: reader.int('DATABASE_RETRY_ATTEMPTS', 10, 1, 100),
      baseMs: reader.int('DATABASE_RETRY_BASE_MS', 10, 1, 10_000),
      maxMs: reader.int('DATABASE_RETRY_MAX_MS', 500, 1, 60_000),
    },
    wechat: {
      apps,
      apiBase,
      timeoutMs: reader.int('WECHAT_TIMEOUT_MS', 3000, 100, 60000),
      budgetMs: reader.int('WECHAT_BUDGET_MS', 8000, 100, 120000),
      requireState: reader.bool('WECHAT_REQUIRE_STATE', true),
      openBase,
      phoneDailyCap: reader.int('WECHAT_PHONE_DAILY_CAP', 1000, 0, 10_000_000),
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
    requirePhone: reader.bool('REQUIRE_PHONE', true),
    carrierLimits: {
      perIpPerMinute: reader.int('CARRIER_PER_IP_PER_MINUTE', 30, 1, 100_000),
      perDevicePerHour: reader.int('CARRIER_PER_DEVICE_PER_HOUR', 10, 1, 100_000),
    },
    trustProxy: readTrustProxy(reader, production, problems),
    cors: readCorsOrigins(reader.string('CORS_ORIGINS'), production, problems),
    trustedSources: readTrustedSources(reader, problems),
    throttlePublicPerMinute: reader.int('THROTTLE_PUBLIC_PER_MINUTE', 600, 1, 1_000_000),
    captcha: readCaptcha(reader, production, problems),
    redis: readRedis(reader, problems),
    metricsToken: reader.string('METRICS_TOKEN') ?? null,
    tokenRefresh: {
      enabled: reader.bool('TOKEN_REFRESH_ENABLED', true),
      intervalSeconds: reader.int('TOKEN_REFRESH_INTERVAL_SECONDS', 60, 5, 3600),
      windowSeconds: reader.int('TOKEN_REFRESH_WINDOW_SECONDS', 1800, 60, 7000),
      concurrency: reader.int('TOKEN_REFRESH_CONCURRENCY', 16, 1, 256),
      perMinute: reader.int('TOKEN_REFRESH_PER_MINUTE', 30_000, 1, 50_000),
      batch: reader.int('TOKEN_REFRESH_BATCH', 500, 1, 5000),
      leaseSeconds: reader.int('TOKEN_REFRESH_LEASE_SECONDS', 120, 10, 3600),
      maxLagMs: reader.int('TOKEN_REFRESH_MAX_LAG_MS', 40, 0, 10_000),
    },
    graphql: {
      maxDepth: reader.int('GRAPHQL_MAX_DEPTH', 8, 2, 50),
      maxAliases: reader.int('GRAPHQL_MAX_ALIASES', 15, 1, 1000),
      maxCost: reader.int('GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
      maxTokens: reader.int('GRAPHQL_MAX_TOKENS', 2000, 50, 100_000),
      schemaFile: readSchemaFile(reader, production, cwd),
    },
    httpBodyLimit: reader.string('HTTP_BODY_LIMIT') ?? '64kb',
    providers: readProviders(reader, production, problems),
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
      /^(APP_|PORT$|HOST$|DATA_DIR$|LOG_LEVEL$|DATABASE_|WECHAT_|TOKEN_|SESSION_|SMS_|TENCENT_|ALIYUN_|ALLOWED_|ADMIN_|TRUST_|GRAPHQL_|HTTP_|APPLE_|HUAWEI_|CARRIER_|PROVIDER_|CAPTCHA_|REDIS_|REQUIRE_|SHUTDOWN_|CORS_)/.test(
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
    // A stalled database answers SERVICE_UNAVAILABLE within about 3 s (issue 18).
    requestBudgetMs: reader.int('DATABASE_REQUEST_BUDGET_MS', 2500, 100, 600_000),
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
    for (const [index, entry] of list.split(',').entries()) {
      // `channel:appId:secret`, or the original `appId:secret`, which means the app channel.
      const parts = entry.trim().split(':');
      const [channel, appId, secret] = parts.length === 2 ? ['app', ...parts] : parts;
      if (
        parts.length < 2 ||
        parts.length > 3 ||
        !WECHAT_CHANNEL_NAMES.includes(channel as WechatChannelName) ||
        !APP_ID.test(appId ?? '') ||
        !APP_SECRET.test(secret ?? '')
      ) {
        problems.push(
          `WECHAT_APPS: entry ${index + 1} is not [channel:]appId:appSecret ` +
            `(channel one of ${WECHAT_CHANNEL_NAMES.join(', ')}; appId like wx0123456789abcdef)`,
        );
        continue;
      }
      apps.push({ appId, secret, channel: channel as WechatChannelName, redirectUris: [] });
    }
  }
  if (singleId !== undefined || singleSecret !== undefined) {
    if (!singleId || !APP_ID.test(singleId)) problems.push('WECHAT_APP_ID: an AppID like wx0123456789abcdef');
    if (!singleSecret || !APP_SECRET.test(singleSecret))
      problems.push('WECHAT_APP_SECRET: the AppSecret of WECHAT_APP_ID');
    if (singleId && singleSecret && APP_ID.test(singleId) && APP_SECRET.test(singleSecret)) {
      apps.push({ appId: singleId, secret: singleSecret, channel: 'app', redirectUris: [] });
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
      return SANDBOX_WECHAT_APPS.map((app) => ({ ...app, redirectUris: [...app.redirectUris] }));
    }
  }
  readRedirectUris(reader, apps, problems);
  return apps;
}

/** WECHAT_REDIRECT_URIS: `appId=uri|uri2;appId2=uri3`, only for official_account and website apps. */
function readRedirectUris(reader: EnvReader, apps: WechatAppCredentials[], problems: string[]): void {
  const raw = reader.string('WECHAT_REDIRECT_URIS');
  if (raw === undefined) return;
  for (const [index, entry] of raw.split(';').entries()) {
    if (entry.trim() === '') continue;
    const [appId, uris, ...rest] = entry.trim().split('=');
    const app = apps.find((a) => a.appId === appId);
    if (!app || !uris || rest.length > 0) {
      problems.push(`WECHAT_REDIRECT_URIS: entry ${index + 1} is not appId=uri|uri of a configured app`);
      continue;
    }
    if (app.channel !== 'official_account' && app.channel !== 'website') {
      problems.push(
        `WECHAT_REDIRECT_URIS: ${appId} is on the ${app.channel} channel; only official_account and website apps redirect`,
      );
      continue;
    }
    for (const uri of uris.split('|')) {
      if (!isRedirectUriEntry(uri)) {
        problems.push(
          `WECHAT_REDIRECT_URIS: entry ${index + 1} has a URI that is neither an http(s) URL nor a pattern such as https://host/path/*`,
        );
        continue;
      }
      app.redirectUris.push(uri);
    }
  }
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
      phoneHardPerDay: reader.int('SMS_PHONE_HARD_PER_DAY', 30, 1, 1000),
      maxAttempts: reader.int('SMS_MAX_ATTEMPTS', 5, 1, 20),
      maxForeignAttempts: reader.int('SMS_MAX_FOREIGN_ATTEMPTS', 10, 1, 1000),
      phoneKnownPerDay: reader.int('SMS_PHONE_KNOWN_PER_DAY', 10, 0, 1000),
      verifyPerIpPerHour: reader.int('SMS_VERIFY_IP_PER_HOUR', 100, 1, 1_000_000),
      verifyPerDevicePerHour: reader.int('SMS_VERIFY_DEVICE_PER_HOUR', 20, 1, 1_000_000),
      perPhonePerHour: reader.int('SMS_PHONE_PER_HOUR', 5, 1, 1000),
      perPhonePerDay: reader.int('SMS_PHONE_PER_DAY', 10, 1, 1000),
      perIpPerMinute: reader.int('SMS_IP_PER_MINUTE', 60, 1, 1_000_000),
      perIpPerHour: reader.int('SMS_IP_PER_HOUR', 600, 1, 1_000_000),
      perDevicePerHour: reader.int('SMS_DEVICE_PER_HOUR', 10, 1, 1_000_000),
      perDevicePerDay: reader.int('SMS_DEVICE_PER_DAY', 20, 1, 1_000_000),
      prefixDigits: reader.int('SMS_PREFIX_DIGITS', 3, 1, 10),
      perPrefixPerHour: reader.int('SMS_PREFIX_PER_HOUR', 1000, 1, 10_000_000),
      perCountryPerHour: readCountryBudgets(reader, problems),
      globalPerHour: reader.int('SMS_GLOBAL_PER_HOUR', 10000, 1, 100_000_000),
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

function readCountryBudgets(reader: EnvReader, problems: string[]): Record<string, number> {
  const raw = reader.string('SMS_COUNTRY_PER_HOUR') ?? '5000';
  const budgets: Record<string, number> = {};
  for (const entry of raw.split(',')) {
    const [country, count] = entry.includes(':') ? entry.trim().split(':') : ['*', entry.trim()];
    const value = Number(count);
    if (!/^([A-Z]{2}|\*)$/.test(country.toUpperCase()) || !Number.isInteger(value) || value < 1) {
      problems.push('SMS_COUNTRY_PER_HOUR: a number, or CC:number pairs such as CN:5000,HK:200,*:100');
      return { '*': 5000 };
    }
    budgets[country.toUpperCase()] = value;
  }
  budgets['*'] ??= 5000;
  return budgets;
}

function readCaptcha(reader: EnvReader, production: boolean, problems: string[]): CaptchaSettings {
  const enabled = reader.bool('SMS_CAPTCHA', true);
  const provider = reader.enum('CAPTCHA_PROVIDER', ['aliyun', 'sandbox'] as const);
  if (!enabled) return null;
  if (provider === undefined || provider === 'sandbox') {
    if (!production) return { provider: 'sandbox' };
    // Without a provider, production refuses over-budget sends outright (SMS_RATE_LIMITED): the
    // stricter side, announced at boot (CaptchaModule) so the operator knows the owner can be locked out.
    if (provider === 'sandbox') problems.push('CAPTCHA_PROVIDER: sandbox is a fake and is refused in production');
    return null;
  }
  const need = (name: string): string => {
    const value = reader.string(name);
    if (value === undefined) problems.push(`${name}: required when CAPTCHA_PROVIDER=aliyun`);
    return value ?? '';
  };
  const endpoint = reader.string('ALIYUN_CAPTCHA_ENDPOINT') ?? 'captcha.cn-shanghai.aliyuncs.com';
  if (/^https?:/i.test(endpoint) && !safeUrl(endpoint))
    problems.push('ALIYUN_CAPTCHA_ENDPOINT: a host or an http(s) URL');
  return {
    provider,
    aliyun: {
      accessKeyId: need('ALIYUN_CAPTCHA_ACCESS_KEY_ID'),
      accessKeySecret: need('ALIYUN_CAPTCHA_ACCESS_KEY_SECRET'),
      sceneId: need('ALIYUN_CAPTCHA_SCENE_ID'),
      prefix: need('ALIYUN_CAPTCHA_PREFIX'),
      region: reader.enum('ALIYUN_CAPTCHA_REGION', ['cn', 'sgp'] as const) ?? 'cn',
      endpoint,
    },
  };
}

function readRedis(reader: EnvReader, problems: string[]): AppConfigValues['redis'] {
  const url = reader.string('REDIS_URL');
  const keyPrefix = reader.string('REDIS_KEY_PREFIX') ?? 'wechat-login:';
  if (url === undefined) return null;
  if (!/^rediss?:\/\//i.test(url) || !safeUrl(url)) {
    problems.push('REDIS_URL: redis://[:password@]host:6379[/db] or rediss://…');
    return null;
  }
  return { url, keyPrefix };
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

/** TRUSTED_SOURCES: comma-separated addresses or CIDRs (IPv4 or IPv6); empty by default. */
function readTrustedSources(reader: EnvReader, problems: string[]): string[] {
  const raw = reader.string('TRUSTED_SOURCES');
  if (raw === undefined || raw.trim() === '') return [];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length > 0) {
    problems.push('TRUSTED_SOURCES: comma-separated addresses or CIDRs (127.0.0.1, 10.0.0.0/8, 2001:db8::/32)');
    return [];
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
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
