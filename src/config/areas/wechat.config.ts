import { bool, defineVariables, EnvReader, int, safeUrl, secret, text } from '../env-reader';
import { isRedirectUriEntry } from '../redirect-uris';
import { readMessageServers, readServiceAccounts } from './wechat-message-servers';
import {
  SANDBOX_WECHAT_APPS,
  type WechatAppCredentials,
  WECHAT_CHANNEL_NAMES,
  type WechatChannelName,
} from './wechat-apps';

// WeChat: the apps (one per channel, or several), the web channels' redirect allow-lists, and how the
// service talks to WeChat's API. With no app configured, the sandbox serves its own fake apps.

export const WECHAT_VARIABLES = defineVariables({
  WECHAT_APPS: secret(
    'channel:appId:appSecret entries, comma-separated (channel app|mini_program|official_account|website; appId:appSecret means app)',
  ),
  WECHAT_APP_ID: text('the single-app shorthand: the AppID'),
  WECHAT_APP_SECRET: secret('the single-app shorthand: the AppSecret'),
  WECHAT_REDIRECT_URIS: text('web apps only: appId=uri|uri;appId2=uri (a trailing * allows any suffix)'),
  WECHAT_API_BASE: text('WeChat API base URL (default https://api.weixin.qq.com; the in-process fake in sandbox)'),
  WECHAT_OPEN_BASE: text("base of WeChat's web authorize pages (default https://open.weixin.qq.com)"),
  WECHAT_TIMEOUT_MS: int('timeout of one WeChat call in ms (default 3000)', 3000, 100, 60000),
  WECHAT_BUDGET_MS: int('total time for one WeChat operation with its retries (default 8000)', 8000, 100, 120000),
  WECHAT_REQUIRE_STATE: bool('require the one-time state on wechatLogin (default true)', true),
  WECHAT_PHONE_DAILY_CAP: int(
    'billed mini-program phone-number calls allowed per app per day (default 1000)',
    1000,
    0,
    10_000_000,
  ),
  WECHAT_REFRESH_TOKEN_TTL_DAYS: int('assumed WeChat refresh_token lifetime (default 30)', 30, 1, 365),
  WECHAT_MESSAGE_SERVERS: secret(
    'apps that receive events at /providers/wechat/events/<appId>: appId=token[:encodingAESKey];... (the key turns on safe mode)',
  ),
  WECHAT_SERVICE_ACCOUNTS: text(
    'official accounts (AppIDs, comma-separated) that are verified service accounts: parametric QR codes, follow login',
  ),
});
const V = WECHAT_VARIABLES;

export interface WechatSettings {
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
}

const APP_ID = /^wx[0-9A-Za-z]{8,32}$/;
const APP_SECRET = /^[0-9A-Za-z_-]{16,128}$/;

/** `listener`: this service's own address, where the sandbox serves WeChat's authorize pages. */
export function readWechat(
  reader: EnvReader,
  production: boolean,
  listener: { host: string; port: number },
): WechatSettings {
  const apps = readWechatApps(reader, production);
  const apiBase = readBase(reader, V.WECHAT_API_BASE, production, production ? 'https://api.weixin.qq.com' : null);
  const { host, port } = listener;
  const openBase = readBase(
    reader,
    V.WECHAT_OPEN_BASE,
    false,
    production
      ? 'https://open.weixin.qq.com'
      : `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/sandbox/wechat`,
  );
  return {
    apps,
    apiBase,
    timeoutMs: reader.int(V.WECHAT_TIMEOUT_MS),
    budgetMs: reader.int(V.WECHAT_BUDGET_MS),
    requireState: reader.bool(V.WECHAT_REQUIRE_STATE),
    openBase,
    phoneDailyCap: reader.int(V.WECHAT_PHONE_DAILY_CAP),
    refreshTokenTtlDays: reader.int(V.WECHAT_REFRESH_TOKEN_TTL_DAYS),
  };
}

/** An http(s) base URL without its trailing slashes; `httpsOnly`: plain http refused (production). */
function readBase<T extends string | null>(
  reader: EnvReader,
  variable: typeof V.WECHAT_API_BASE | typeof V.WECHAT_OPEN_BASE,
  httpsOnly: boolean,
  fallback: T,
): string | T {
  const raw = reader.string(variable);
  if (raw === undefined) return fallback;
  const url = safeUrl(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    reader.problems.push(`${variable.name}: must be an http(s) URL`);
  } else if (httpsOnly && url.protocol !== 'https:') {
    reader.problems.push(`${variable.name}: must be https in production`);
  } else {
    return raw.replace(/\/+$/, '');
  }
  return fallback;
}

function readWechatApps(reader: EnvReader, production: boolean): WechatAppCredentials[] {
  const problems = reader.problems;
  const list = reader.string(V.WECHAT_APPS);
  const singleId = reader.string(V.WECHAT_APP_ID);
  const singleSecret = reader.string(V.WECHAT_APP_SECRET);
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
  readRedirectUris(reader, apps);
  readMessageServers(reader, V.WECHAT_MESSAGE_SERVERS, apps);
  readServiceAccounts(reader, V.WECHAT_SERVICE_ACCOUNTS, apps);
  return apps;
}

/** WECHAT_REDIRECT_URIS: `appId=uri|uri2;appId2=uri3`, only for official_account and website apps. */
function readRedirectUris(reader: EnvReader, apps: WechatAppCredentials[]): void {
  const problems = reader.problems;
  const raw = reader.string(V.WECHAT_REDIRECT_URIS);
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
