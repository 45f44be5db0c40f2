// /sns/jscode2session: a mini program's wx.login() code → openid, session_key and (when bound) unionid.
import { randomBytes } from 'node:crypto';
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { errorJson, openidFor } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { Json } from './fake-wechat.types';

export function miniProgramEndpoints(state: FakeWechatState): ApiEndpoint[] {
  const exchange = ({ query: q }: ApiRequest): Json => {
    const appid = q.get('appid');
    const secret = q.get('secret');
    const jsCode = q.get('js_code');
    if (!appid) return errorJson(41002);
    if (!secret) return errorJson(41004);
    if (!jsCode) return errorJson(41008);
    if (q.get('grant_type') !== 'authorization_code') return errorJson(40002);
    const app = state.app(appid);
    // Only a mini program's AppID is known to this API.
    if (!app || app.channel !== 'mini_program') return errorJson(40013);
    if (app.secret !== secret) return errorJson(40125);
    const record = state.findCode('js', appid, jsCode);
    // An expired js code is just invalid here; no 42003 variant has been seen.
    if (!record || record.expiresAt <= state.now()) return errorJson(40029);
    if (record.usedAt !== undefined) return errorJson(40163);

    // 100 a minute per user of one mini program; over it, the code is left unused.
    const now = state.now();
    const key = `${appid}:${record.person}`;
    const recent = (state.jscodeExchanges.get(key) ?? []).filter((at) => at > now - 60_000);
    state.jscodeExchanges.set(key, recent);
    if (recent.length >= state.settings.jscodeMinuteQuota) return errorJson(45011);
    recent.push(now);
    record.usedAt = now;
    if (record.highRisk) return errorJson(40226);

    const body: Json = {
      openid: openidFor(appid, record.person),
      session_key: randomBytes(16).toString('base64'),
    };
    const unionid = record.withoutUnionid ? undefined : state.unionidFor(appid, record.person);
    if (unionid) body.unionid = unionid;
    return body;
  };

  return [
    {
      endpoint: 'jscode2session',
      path: '/sns/jscode2session',
      method: 'GET',
      answer: exchange,
      consume: ({ query }) => {
        const record = state.findCode('js', query.get('appid'), query.get('js_code'));
        if (record && record.usedAt === undefined) record.usedAt = state.now();
      },
    },
  ];
}
