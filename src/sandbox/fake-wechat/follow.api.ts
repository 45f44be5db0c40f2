// /cgi-bin/qrcode/create (an official account's parametric QR codes) and /cgi-bin/user/info (a
// follower's profile and unionid), both with the app-level access token.
import { randomBytes } from 'node:crypto';
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { checkAppToken } from './app-token.api';
import { errorJson, openidFor } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { Json } from './fake-wechat.types';

// WeChat's rules for temporary codes: 60 s when not given, 30 days at most; a string scene of 1 to 64.
const DEFAULT_EXPIRE_SECONDS = 60;
const MAX_EXPIRE_SECONDS = 2_592_000;
const MAX_SCENE = 64;

export function followEndpoints(state: FakeWechatState): ApiEndpoint[] {
  const createQrCode = (req: ApiRequest): Json => {
    const token = checkAppToken(state, req.query.get('access_token'));
    if (typeof token === 'number') return errorJson(token);
    req.appid = token.appid;
    // Only verified service accounts have the API.
    if (!state.app(token.appid)?.serviceAccount) return errorJson(48001);
    const { expire_seconds: expire, action_name: action, action_info: info } = req.body;
    if (action !== 'QR_STR_SCENE' && action !== 'QR_SCENE') return errorJson(40097);
    const scene = ((info as Json | undefined)?.scene as Json | undefined) ?? {};
    const value = action === 'QR_STR_SCENE' ? scene.scene_str : scene.scene_id;
    const sceneText =
      action === 'QR_STR_SCENE'
        ? typeof value === 'string' && value.length >= 1 && value.length <= MAX_SCENE
          ? value
          : null
        : Number.isInteger(value) && (value as number) > 0
          ? String(value)
          : null;
    if (sceneText === null) return errorJson(40097);
    const seconds = expire === undefined ? DEFAULT_EXPIRE_SECONDS : expire;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) return errorJson(40097);
    const lifetime = Math.min(seconds, MAX_EXPIRE_SECONDS);
    const ticket = `gQ${randomBytes(36).toString('base64')}`;
    state.qrTickets.set(ticket, {
      ticket,
      appid: token.appid,
      scene: sceneText,
      expiresAt: state.now() + lifetime * 1000,
    });
    return { ticket, expire_seconds: lifetime, url: `http://weixin.qq.com/q/${randomBytes(12).toString('base64url')}` };
  };

  const userInfo = (req: ApiRequest): Json => {
    const token = checkAppToken(state, req.query.get('access_token'));
    if (typeof token === 'number') return errorJson(token);
    req.appid = token.appid;
    const app = state.app(token.appid);
    if (app?.channel !== 'official_account') return errorJson(48001);
    const openid = req.query.get('openid');
    if (!openid) return errorJson(41009);
    const person = [...state.persons.values()].find((p) => openidFor(token.appid, p.label) === openid);
    if (!person) return errorJson(40003);
    const unionid = state.unionidFor(token.appid, person.label);
    if (!state.followers.has(`${token.appid} ${person.label}`)) {
      return { subscribe: 0, openid, ...(unionid ? { unionid } : {}) };
    }
    return {
      subscribe: 1,
      openid,
      language: 'zh_CN',
      subscribe_time: Math.floor(state.now() / 1000),
      ...(unionid ? { unionid } : {}),
      remark: '',
      groupid: 0,
      tagid_list: [],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 0,
      qr_scene_str: '',
    };
  };

  return [
    { endpoint: 'qrcode_create', path: '/cgi-bin/qrcode/create', method: 'POST', answer: createQrCode },
    { endpoint: 'user_info', path: '/cgi-bin/user/info', method: 'GET', answer: userInfo },
  ];
}
