// /cgi-bin/stable_token: the app-level access token of a mini program or official account.
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { errorJson, token64 } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { AppToken, Json } from './fake-wechat.types';

const FORCE_REFRESHES_A_DAY = 20;
const FORCE_REFRESH_GAP_MS = 30_000;
// In normal mode WeChat renews the token in its last 5 minutes; the old one stays valid until it expires.
const RENEW_WITHIN_MS = 5 * 60_000;
// WeChat's daily quotas reset at midnight Beijing time.
const BEIJING_OFFSET_MS = 8 * 3600_000;

export function appTokenEndpoints(state: FakeWechatState): ApiEndpoint[] {
  const issue = (appid: string): AppToken => {
    const now = state.now();
    const token: AppToken = {
      token: token64(),
      appid,
      issuedAt: now,
      expiresAt: now + state.settings.appTokenTtlSeconds * 1000,
    };
    state.appTokens.set(token.token, token);
    state.currentAppToken.set(appid, token);
    return token;
  };

  const answer = (token: AppToken): Json => ({
    access_token: token.token,
    expires_in: Math.ceil((token.expiresAt - state.now()) / 1000),
  });

  const stableToken = (req: ApiRequest): Json => {
    const { body } = req;
    if (body.grant_type !== 'client_credential') return errorJson(40002);
    const appid = typeof body.appid === 'string' ? body.appid : '';
    const secret = typeof body.secret === 'string' ? body.secret : '';
    if (!appid) return errorJson(41002);
    if (!secret) return errorJson(41004);
    if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') return errorJson(47001);
    const app = state.app(appid);
    // Native-app and website AppIDs have no app-level token.
    if (!app || (app.channel !== 'mini_program' && app.channel !== 'official_account')) return errorJson(40013);
    req.appid = appid;
    if (app.secret !== secret) return errorJson(40125);

    const now = state.now();
    if (body.force_refresh === true) {
      const today = Math.floor((now + BEIJING_OFFSET_MS) / 86_400_000);
      const forced = (state.forceRefreshes.get(appid) ?? []).filter(
        (at) => Math.floor((at + BEIJING_OFFSET_MS) / 86_400_000) === today,
      );
      state.forceRefreshes.set(appid, forced);
      const last = forced[forced.length - 1];
      if (forced.length >= FORCE_REFRESHES_A_DAY || (last !== undefined && now - last < FORCE_REFRESH_GAP_MS)) {
        return errorJson(45009);
      }
      forced.push(now);
      // A forced refresh kills every earlier token of the app.
      for (const [value, token] of state.appTokens) if (token.appid === appid) state.appTokens.delete(value);
      return answer(issue(appid));
    }
    const current = state.currentAppToken.get(appid);
    if (current && current.expiresAt - now > RENEW_WITHIN_MS && state.appTokens.has(current.token)) {
      return answer(current);
    }
    return answer(issue(appid));
  };

  return [{ endpoint: 'stable_token', path: '/cgi-bin/stable_token', method: 'POST', answer: stableToken }];
}

/** The app token's record when it is known and alive, else the errcode WeChat answers. */
export function checkAppToken(state: FakeWechatState, value: string | null): AppToken | number {
  if (!value) return 41001;
  const token = state.appTokens.get(value);
  if (!token) return 40001;
  if (token.expiresAt <= state.now()) return 42001;
  return token;
}
