import { defineVariables, EnvReader, safeUrl, secret, text } from '../env-reader';
import { isRedirectUriEntry } from '../redirect-uris';
import { SANDBOX_REDIRECT_URIS } from './wechat-apps';

// QQ Connect (QQ互联), part of the providers area: the phone apps whose QQ SDK tokens we accept, and
// the website app of the web redirect (its AppKey redeems codes). Either part may be configured
// alone; with none of it set, the sandbox uses a phone app and a web app of the in-process fake.

export interface QqConfig {
  /** Phone apps (Android, iOS, HarmonyOS): /oauth2.0/me's client_id of an SDK token must be one of them. */
  appIds: string[];
  /** The website app; null: no web login. */
  web: { appId: string; appKey: string; redirectUris: string[] } | null;
  /** https://graph.qq.com; null: the in-process fake under /sandbox/qq. */
  apiBase: string | null;
}

export const QQ_VARIABLES = defineVariables({
  QQ_APP_IDS: text('QQ Connect: AppIDs of our phone apps (the QQ SDK on Android, iOS, HarmonyOS), comma-separated'),
  QQ_WEB_APP_ID: text("QQ Connect: the website app's AppID (web login by redirect)"),
  QQ_WEB_APP_KEY: secret("QQ Connect: the website app's AppKey (redeems the web login's codes)"),
  QQ_WEB_REDIRECT_URIS: text('QQ web login: allowed redirect URIs, |-separated (a trailing * allows any suffix)'),
  QQ_API_BASE: text('QQ Connect base URL (default https://graph.qq.com; the in-process fake in sandbox)'),
});
const V = QQ_VARIABLES;

export const QQ_DEFAULT_API_BASE = 'https://graph.qq.com';
/** The sandbox's apps, the same as the fake's (src/sandbox/qq SANDBOX_QQ). */
export const SANDBOX_QQ_CONFIG = {
  appIds: ['101000001'],
  web: { appId: '101000002', appKey: 'sandboxQqAppKey0000000000000002' },
} as const;

const APP_ID = /^\d{5,20}$/;

export function readQq(reader: EnvReader, production: boolean): QqConfig | null {
  const problems = reader.problems;
  const apiBase = readApiBase(reader, production);
  const rawIds = reader.string(V.QQ_APP_IDS);
  const webId = reader.string(V.QQ_WEB_APP_ID);
  const webKey = reader.string(V.QQ_WEB_APP_KEY);
  const rawUris = reader.string(V.QQ_WEB_REDIRECT_URIS);
  if (rawIds === undefined && webId === undefined && webKey === undefined) {
    if (rawUris !== undefined) problems.push('QQ_WEB_REDIRECT_URIS: set only with QQ_WEB_APP_ID and QQ_WEB_APP_KEY');
    if (production) return null;
    const { appIds, web } = SANDBOX_QQ_CONFIG;
    return { appIds: [...appIds], web: { ...web, redirectUris: [...SANDBOX_REDIRECT_URIS] }, apiBase: apiBase ?? null };
  }
  const before = problems.length;
  const appIds = (rawIds ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (appIds.some((id) => !APP_ID.test(id))) problems.push('QQ_APP_IDS: comma-separated numeric QQ AppIDs');
  let web: QqConfig['web'] = null;
  if ((webId === undefined) !== (webKey === undefined)) {
    problems.push(
      `${webId ? 'QQ_WEB_APP_KEY' : 'QQ_WEB_APP_ID'}: QQ web login needs both QQ_WEB_APP_ID and QQ_WEB_APP_KEY`,
    );
  } else if (webId !== undefined) {
    if (!APP_ID.test(webId)) problems.push("QQ_WEB_APP_ID: the website app's numeric AppID");
    const redirectUris = (rawUris ?? '')
      .split('|')
      .map((uri) => uri.trim())
      .filter(Boolean);
    if (redirectUris.length === 0) problems.push('QQ_WEB_REDIRECT_URIS: required with QQ_WEB_APP_ID');
    if (redirectUris.some((uri) => !isRedirectUriEntry(uri))) {
      problems.push('QQ_WEB_REDIRECT_URIS: each an http(s) URL or a pattern such as https://host/path/*');
    }
    web = { appId: webId, appKey: webKey!, redirectUris };
  } else if (rawUris !== undefined) {
    problems.push('QQ_WEB_REDIRECT_URIS: set only with QQ_WEB_APP_ID and QQ_WEB_APP_KEY');
  }
  if (problems.length > before) return null;
  return { appIds, web, apiBase: apiBase ?? QQ_DEFAULT_API_BASE };
}

function readApiBase(reader: EnvReader, production: boolean): string | undefined {
  const raw = reader.string(V.QQ_API_BASE);
  if (raw === undefined) return undefined;
  const url = safeUrl(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol) || (production && url.protocol !== 'https:')) {
    reader.problems.push(`QQ_API_BASE: must be an ${production ? 'https' : 'http(s)'} URL`);
    return undefined;
  }
  return raw.replace(/\/+$/, '');
}
