import { isClientToken } from '../common/client-token';
import { WechatNotSentError, WechatUnavailableError } from './wechat-errors';

// WeChat's endpoints: where they live and what their answers become. No HTTP here.

export interface WechatTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  openid: string;
  scope: string;
  /** Only in the code-exchange answer, and not always there. */
  unionid: string | null;
  /** is_snapshotuser: 1, an official account's snapshot page: the openid is virtual. */
  snapshot?: boolean;
}

export interface WechatUserInfo {
  openid: string;
  unionid: string | null;
  nickname: string;
  avatarUrl: string;
  language: string | null;
  sex: number;
}

/** What `jscode2session` answers for a mini program's `wx.login()` code. */
export interface MiniProgramSession {
  openid: string;
  unionid: string | null;
  sessionKey: string;
}

export interface AppAccessToken {
  accessToken: string;
  expiresIn: number;
}

export interface WechatPhoneNumber {
  /** With country code, digits only after the `+` (WeChat's phoneNumber, e.g. +86 13800138000). */
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  /** The mini program the number was issued for (watermark.appid). */
  appId: string;
}

/** An official account's temporary parametric QR code (follow login). */
export interface FollowQrCode {
  ticket: string;
  expiresIn: number;
  /** The code's image, on WeChat's showqrcode page. */
  qrUrl: string;
}

/** What `/cgi-bin/user/info` says of a person at an official account. */
export interface FollowerInfo {
  subscribed: boolean;
  openid: string;
  unionid: string | null;
}

export type Endpoint =
  | 'access_token'
  | 'refresh_token'
  | 'auth'
  | 'userinfo'
  | 'jscode2session'
  | 'stable_token'
  | 'getuserphonenumber'
  | 'qrcode_create'
  | 'user_info';

export const PATHS: Record<Endpoint, string> = {
  access_token: '/sns/oauth2/access_token',
  refresh_token: '/sns/oauth2/refresh_token',
  auth: '/sns/auth',
  userinfo: '/sns/userinfo',
  jscode2session: '/sns/jscode2session',
  stable_token: '/cgi-bin/stable_token',
  getuserphonenumber: '/wxa/business/getuserphonenumber',
  qrcode_create: '/cgi-bin/qrcode/create',
  user_info: '/cgi-bin/user/info',
};

const SHOW_QR_CODE = 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=';

// WeChat's one-time codes are short; anything else is refused before it is sent.
const MAX_CODE_LENGTH = 256;

export function checkCode(code: string): void {
  if (!isClientToken(code, MAX_CODE_LENGTH)) throw new WechatNotSentError('bad-input');
}

function str(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function parseTokens(body: Record<string, unknown>, withUnionid: boolean): WechatTokens {
  const accessToken = str(body, 'access_token');
  const refreshToken = str(body, 'refresh_token');
  const openid = str(body, 'openid');
  const expiresIn = Number(body.expires_in);
  if (!accessToken || !refreshToken || !openid || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new WechatUnavailableError('malformed');
  }
  return {
    accessToken,
    refreshToken,
    openid,
    expiresIn,
    // A trailing comma has been seen: "snsapi_userinfo,".
    scope: (str(body, 'scope') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(','),
    unionid: withUnionid ? str(body, 'unionid') : null,
    ...(Number(body.is_snapshotuser) === 1 ? { snapshot: true } : {}),
  };
}

export function parseUserInfo(body: Record<string, unknown>): WechatUserInfo {
  const openid = str(body, 'openid');
  if (!openid) throw new WechatUnavailableError('malformed');
  const sex = Number(body.sex);
  return {
    openid,
    unionid: str(body, 'unionid'),
    nickname: typeof body.nickname === 'string' ? body.nickname : '',
    avatarUrl: typeof body.headimgurl === 'string' ? body.headimgurl : '',
    language: str(body, 'language'),
    sex: Number.isFinite(sex) ? sex : 0,
  };
}

export function parseMiniProgramSession(body: Record<string, unknown>): MiniProgramSession {
  const openid = str(body, 'openid');
  const sessionKey = str(body, 'session_key');
  if (!openid || !sessionKey) throw new WechatUnavailableError('malformed');
  return { openid, sessionKey, unionid: str(body, 'unionid') };
}

export function parseAppToken(body: Record<string, unknown>): AppAccessToken {
  const accessToken = str(body, 'access_token');
  const expiresIn = Number(body.expires_in);
  if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) throw new WechatUnavailableError('malformed');
  return { accessToken, expiresIn };
}

export function parsePhoneNumber(body: Record<string, unknown>): WechatPhoneNumber {
  const info = body.phone_info as Record<string, unknown> | undefined;
  const watermark = info?.watermark as Record<string, unknown> | undefined;
  const purePhoneNumber = info ? str(info, 'purePhoneNumber') : null;
  const countryCode = info ? str(info, 'countryCode') : null;
  if (!info || !purePhoneNumber || !countryCode || !watermark) throw new WechatUnavailableError('malformed');
  return {
    phoneNumber: str(info, 'phoneNumber') ?? purePhoneNumber,
    purePhoneNumber,
    countryCode,
    appId: typeof watermark.appid === 'string' ? watermark.appid : '',
  };
}

export function parseQrCode(body: Record<string, unknown>): FollowQrCode {
  const ticket = str(body, 'ticket');
  const expiresIn = Number(body.expire_seconds);
  if (!ticket || !Number.isFinite(expiresIn) || expiresIn <= 0) throw new WechatUnavailableError('malformed');
  return { ticket, expiresIn, qrUrl: `${SHOW_QR_CODE}${encodeURIComponent(ticket)}` };
}

export function parseFollowerInfo(body: Record<string, unknown>): FollowerInfo {
  const openid = str(body, 'openid');
  if (!openid) throw new WechatUnavailableError('malformed');
  return { subscribed: Number(body.subscribe) === 1, openid, unionid: str(body, 'unionid') };
}
