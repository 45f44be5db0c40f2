import type { KeyObject } from 'node:crypto';
import { type AccountsSettings, readAccounts } from './areas/accounts.config';
import { type AppMode, readDataDir, readLogLevel, readMode, readShutdownDrainMs } from './areas/app.config';
import { type CaptchaSettings, readCaptcha } from './areas/captcha.config';
import {
  type DatabaseRetrySettings,
  type DatabaseSettings,
  readDatabase,
  readDatabaseRetry,
} from './areas/database.config';
import { type GraphqlSettings, readGraphql } from './areas/graphql.config';
import { type HttpSettings, readHttp, readListener } from './areas/http.config';
import { type LimitsSettings, readLimits } from './areas/limits.config';
import { type ProviderEventsSettings, readProviderEvents } from './areas/provider-events.config';
import { type ProvidersSettings, readProviders } from './areas/providers.config';
import { readRedis, type RedisSettings } from './areas/redis.config';
import { readSession, type SessionSettings } from './areas/session.config';
import { readSms, type SmsSettings } from './areas/sms.config';
import { readTokenRefresh, type TokenRefreshSettings } from './areas/token-refresh.config';
import { readWechat, type WechatSettings } from './areas/wechat.config';
import { type OutboxSettings, readOutbox, readWebhooks, type WebhooksSettings } from './areas/webhooks.config';
import { type Env, EnvReader } from './env-reader';
import { ENV_VARIABLES, SENSITIVE_VARIABLES } from './env.variables';

const DECLARED_VARIABLES = new Set(ENV_VARIABLES.map((v) => v.name));
import type { EncryptionKey } from './sandbox-secrets';

// The configuration is read per area (src/config/areas: each declares its variables, their
// descriptions, defaults and sensitivity, and validates them); this file composes the areas into
// one value and one error. The rest of the code imports the types from here.
export type { AccountsSettings } from './areas/accounts.config';
export { SANDBOX_ADMIN_PHONE } from './areas/accounts.config';
export type { AppMode } from './areas/app.config';
export type { AliyunCaptchaSettings, CaptchaSettings } from './areas/captcha.config';
export type { DatabaseBounds, DatabaseRetrySettings, DatabaseSettings } from './areas/database.config';
export type { TrustProxy } from './areas/http.config';
export type { SmsLimits } from './areas/limits.config';
export type { SmsProvider } from './areas/sms.config';
export type { OutboxSettings, WebhooksSettings } from './areas/webhooks.config';
export {
  SANDBOX_REDIRECT_URIS,
  SANDBOX_UNBOUND_APP_ID,
  SANDBOX_WECHAT_APP,
  SANDBOX_WECHAT_APPS,
  WECHAT_CHANNEL_NAMES,
} from './areas/wechat-apps';
export type { WechatAppCredentials, WechatChannelName, WechatMessageServer } from './areas/wechat-apps';
export type { EncryptionKey };

export interface AppConfigValues extends HttpSettings, AccountsSettings, LimitsSettings {
  mode: AppMode;
  dataDir: string;
  logLevel: string;
  database: DatabaseSettings;
  /** Transactions that lost a deadlock or a cluster certification are run again (see Database). */
  databaseRetry: DatabaseRetrySettings;
  wechat: WechatSettings;
  tokenEncryptionKeys: EncryptionKey[];
  session: SessionSettings & { signingKey: KeyObject };
  sms: SmsSettings;
  captcha: CaptchaSettings;
  /** When set, counters (SMS budgets, the general throttle) live in Redis instead of the database. */
  redis: RedisSettings;
  tokenRefresh: TokenRefreshSettings;
  graphql: GraphqlSettings;
  /** Sign in with Apple, Huawei ID, carrier one-tap: null where not configured. */
  providers: ProvidersSettings;
  /** The provider events' inbox: its sweeper and its receivers' per-IP limit. */
  providerEvents: ProviderEventsSettings;
  /** At SIGTERM, how long readiness is red while requests are still served. */
  shutdownDrainMs: number;
  /** Standard Webhooks to the app backend: no endpoint, no webhooks. */
  webhooks: WebhooksSettings;
  /** The drainer of the outbox (webhooks and provider cleanups). */
  outbox: OutboxSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the whole environment at once. Every bad variable is collected, so that one
 * error names them all; nothing here prints a value of a sensitive variable.
 */
export function loadAppConfig(env: Env = process.env, cwd = process.cwd()): AppConfigValues {
  const reader = new EnvReader(env);
  const mode = readMode(reader);
  const production = mode === 'production';
  const listener = readListener(reader, production);
  const dataDir = readDataDir(reader, cwd);
  const logLevel = readLogLevel(reader);

  const config: AppConfigValues = {
    mode,
    ...listener,
    dataDir,
    logLevel,
    database: readDatabase(reader, production, dataDir),
    databaseRetry: readDatabaseRetry(reader),
    wechat: readWechat(reader, production, listener),
    ...readSession(reader, production, dataDir),
    sms: readSms(reader, production),
    ...readAccounts(reader, production),
    ...readLimits(reader),
    ...readHttp(reader, production),
    captcha: readCaptcha(reader, production),
    redis: readRedis(reader),
    tokenRefresh: readTokenRefresh(reader),
    graphql: readGraphql(reader, production, cwd),
    providers: readProviders(reader, production),
    providerEvents: readProviderEvents(reader),
    shutdownDrainMs: readShutdownDrainMs(reader),
    webhooks: readWebhooks(reader, mode),
    outbox: readOutbox(reader, mode),
  };
  if (reader.problems.length > 0) {
    throw new ConfigError(reader.problems);
  }
  return config;
}

/** The configuration as lines fit for a log: every declared variable that is set, sensitive ones masked. */
export function describeEnvironment(env: Env = process.env): string[] {
  return Object.keys(env)
    .filter((name) => DECLARED_VARIABLES.has(name))
    .sort()
    .map((name) => `${name}=${SENSITIVE_VARIABLES.has(name) ? '********' : env[name]}`);
}
