// /sns/oauth2/access_token, /sns/oauth2/refresh_token, /sns/auth, /sns/userinfo: the user-level OAuth API
// that native apps, official-account pages and website QR logins share.
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { errorJson, token64 } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { Grant, Json } from './fake-wechat.types';
import { snapshotOpenid } from './user-side';

const ANONYMOUS_AVATAR =
  'https://thirdwx.qlogo.cn/mmopen/vi_32/anonymous0grey0avatar0of0every0official0account0user/132';

export function snsOauthEndpoints(state: FakeWechatState): ApiEndpoint[] {
  const scopeOut = (scope: string): string => (state.settings.scopeTrailingComma ? `${scope},` : scope);

  // unionid comes only through apps bound to the Open Platform, and never with snsapi_base
  // (WeChat's official-account page: "只有当scope为snsapi_userinfo时返回").
  const unionidOf = (grant: Grant): string | undefined =>
    grant.withoutUnionid || grant.scope === 'snsapi_base' ? undefined : state.unionidFor(grant.appid, grant.person);

  const exchangeCode = ({ query: q }: ApiRequest): Json => {
    const appid = q.get('appid');
    const secret = q.get('secret');
    const code = q.get('code');
    if (!appid) return errorJson(41002);
    if (!secret) return errorJson(41004);
    if (!code) return errorJson(41008);
    if (q.get('grant_type') !== 'authorization_code') return errorJson(40002);
    const app = state.app(appid);
    if (!app) return errorJson(40013);
    if (app.secret !== secret) return errorJson(40125);
    const record = state.findCode('oauth', appid, code);
    if (!record) return errorJson(40029);
    if (record.usedAt !== undefined) return errorJson(40163);
    if (record.expiresAt <= state.now()) return errorJson(state.settings.expiredCodeErrcode);
    record.usedAt = state.now();
    if (record.snapshot) {
      // A virtual openid and no unionid; its token only answers snsapi_base calls.
      return {
        access_token: token64(),
        expires_in: state.settings.accessTokenTtlSeconds,
        refresh_token: token64(),
        openid: snapshotOpenid(appid, record.person),
        scope: scopeOut('snsapi_base'),
        is_snapshotuser: 1,
      };
    }

    const grant = state.issueGrant(record);
    const body: Json = {
      access_token: grant.accessToken,
      expires_in: state.settings.accessTokenTtlSeconds,
      refresh_token: grant.refreshToken,
      openid: grant.openid,
      scope: scopeOut(grant.scope),
    };
    const unionid = unionidOf(grant);
    if (unionid) body.unionid = unionid;
    return body;
  };

  const refresh = ({ query: q }: ApiRequest): Json => {
    const appid = q.get('appid');
    const token = q.get('refresh_token');
    if (!appid) return errorJson(41002);
    if (!token) return errorJson(41003);
    if (q.get('grant_type') !== 'refresh_token') return errorJson(40002);
    if (!state.app(appid)) return errorJson(40013);
    const grant = state.byRefreshToken.get(token);
    if (!grant || grant.appid !== appid) return errorJson(40030);
    if (state.credentialsReset(grant)) return errorJson(42007);
    const now = state.now();
    if (grant.refreshExpiresAt <= now) return errorJson(42002);

    // A still-valid access token comes back unchanged with its expiry reset; an expired one is replaced.
    if (grant.accessExpiresAt <= now) {
      state.byAccessToken.delete(grant.accessToken);
      grant.accessToken = token64();
      state.byAccessToken.set(grant.accessToken, grant);
    }
    grant.accessExpiresAt = now + state.settings.accessTokenTtlSeconds * 1000;
    if (state.settings.rotateRefreshTokens) {
      state.byRefreshToken.delete(grant.refreshToken);
      grant.refreshToken = token64();
      state.byRefreshToken.set(grant.refreshToken, grant);
    }
    // No unionid here: the refresh answer never carries it.
    return {
      access_token: grant.accessToken,
      expires_in: state.settings.accessTokenTtlSeconds,
      refresh_token: grant.refreshToken,
      openid: grant.openid,
      scope: scopeOut(grant.scope),
    };
  };

  const checkToken = (q: URLSearchParams, userinfo: boolean): Json => {
    const token = q.get('access_token');
    const openid = q.get('openid');
    if (!token) return errorJson(41001);
    if (!openid) return errorJson(41009);
    const grant = state.byAccessToken.get(token);
    if (!grant) return errorJson(40001);
    if (state.credentialsReset(grant)) return errorJson(42007);
    if (grant.accessExpiresAt <= state.now()) return errorJson(42001);
    if (grant.openid !== openid) return errorJson(40003);
    if (!userinfo) return { errcode: 0, errmsg: 'ok' };
    // Website logins (snsapi_login) may read user info too; snsapi_base may not.
    const scopes = grant.scope.split(',');
    if (!scopes.includes('snsapi_userinfo') && !scopes.includes('snsapi_login')) return errorJson(48001);

    const person = state.persons.get(grant.person)!;
    // Official accounts stopped handing out nickname and avatar on 2021-12-27: everyone is "微信用户"
    // with the same grey picture.
    const anonymous = state.app(grant.appid)?.channel === 'official_account';
    const body: Json = {
      openid: grant.openid,
      nickname: anonymous ? '微信用户' : person.nickname,
      // The 2021 privacy change: no sex, no region.
      sex: state.settings.sexAsString ? '0' : 0,
      language: q.get('lang') ?? 'zh_CN',
      city: '',
      province: '',
      country: '',
      headimgurl: anonymous ? ANONYMOUS_AVATAR : person.avatarUrl,
      privilege: [],
    };
    const unionid = state.settings.dropUnionid ? undefined : unionidOf(grant);
    if (unionid) body.unionid = unionid;
    return body;
  };

  return [
    {
      endpoint: 'access_token',
      path: '/sns/oauth2/access_token',
      method: 'GET',
      answer: exchangeCode,
      consume: ({ query }) => {
        const record = state.findCode('oauth', query.get('appid'), query.get('code'));
        if (record && record.usedAt === undefined) record.usedAt = state.now();
      },
    },
    { endpoint: 'refresh_token', path: '/sns/oauth2/refresh_token', method: 'GET', answer: refresh },
    { endpoint: 'auth', path: '/sns/auth', method: 'GET', answer: ({ query }) => checkToken(query, false) },
    { endpoint: 'userinfo', path: '/sns/userinfo', method: 'GET', answer: ({ query }) => checkToken(query, true) },
  ];
}
