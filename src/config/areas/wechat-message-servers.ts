import type { EnvReader, Named, TextVariable } from '../env-reader';
import type { WechatAppCredentials } from './wechat-apps';

// The message server of official accounts and mini programs (pushed events) and which official accounts
// are verified service accounts (parametric QR codes, follow login). Both name apps already configured.

// WeChat's message-server page: the Token is 3 to 32 letters or digits; the EncodingAESKey 43 of them.
const TOKEN = /^[A-Za-z0-9]{3,32}$/;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/** WECHAT_MESSAGE_SERVERS: `appId=token[:encodingAESKey];appId2=token2`. Never echoes a token or key. */
export function readMessageServers(
  reader: EnvReader,
  variable: Named<TextVariable>,
  apps: WechatAppCredentials[],
): void {
  const raw = reader.string(variable);
  if (raw === undefined) return;
  const seen = new Set<string>();
  for (const [index, entry] of raw.split(';').entries()) {
    if (entry.trim() === '') continue;
    const [appId, rest, ...more] = entry.trim().split('=');
    const [token, key, ...extra] = (rest ?? '').split(':');
    const app = apps.find((a) => a.appId === appId);
    const where = `${variable.name}: entry ${index + 1}`;
    if (!app || more.length > 0 || extra.length > 0) {
      reader.problems.push(`${where} is not appId=token[:encodingAESKey] of a configured app`);
      continue;
    }
    if (app.channel !== 'official_account' && app.channel !== 'mini_program') {
      reader.problems.push(
        `${where}: ${appId} is on the ${app.channel} channel; only official accounts and mini programs receive events`,
      );
      continue;
    }
    if (!TOKEN.test(token ?? '')) {
      reader.problems.push(`${where}: the token must be 3 to 32 letters or digits`);
      continue;
    }
    if (key !== undefined && !ENCODING_AES_KEY.test(key)) {
      reader.problems.push(`${where}: the EncodingAESKey must be 43 letters or digits`);
      continue;
    }
    if (seen.has(appId)) reader.problems.push(`${variable.name}: ${appId} is listed twice`);
    seen.add(appId);
    app.messageServer = { token, encodingAesKey: key ?? null };
  }
}

/** WECHAT_SERVICE_ACCOUNTS: AppIDs, comma-separated, of configured official accounts. */
export function readServiceAccounts(
  reader: EnvReader,
  variable: Named<TextVariable>,
  apps: WechatAppCredentials[],
): void {
  const raw = reader.string(variable);
  if (raw === undefined) return;
  for (const appId of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const app = apps.find((a) => a.appId === appId);
    if (!app || app.channel !== 'official_account') {
      reader.problems.push(`${variable.name}: ${appId} is not a configured official_account app`);
      continue;
    }
    app.verifiedServiceAccount = true;
  }
}
