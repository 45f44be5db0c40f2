// Shapes shared by the fake WeChat's parts: its apps, the records it keeps, its switches and faults.
import type { FaultBase, LoggedCall } from '../fake-kit';

export type WechatChannel = 'app' | 'mini_program' | 'official_account' | 'website';
export const WECHAT_CHANNELS: readonly WechatChannel[] = ['app', 'mini_program', 'official_account', 'website'];

/** The WeChat APIs whose answers can be faulted (`POST /faults`) and whose calls are logged. */
export type FakeEndpoint =
  | 'access_token'
  | 'refresh_token'
  | 'auth'
  | 'userinfo'
  | 'jscode2session'
  | 'stable_token'
  | 'getuserphonenumber'
  | 'qrcode_create'
  | 'user_info';
export const FAKE_ENDPOINTS: readonly FakeEndpoint[] = [
  'access_token',
  'refresh_token',
  'auth',
  'userinfo',
  'jscode2session',
  'stable_token',
  'getuserphonenumber',
  'qrcode_create',
  'user_info',
];

/** The two web authorize pages a browser is sent to; logged, never faulted. */
export type FakePage = 'oauth2_authorize' | 'qrconnect';

export interface FakeWechatApp {
  appId: string;
  secret: string;
  /** Which kind of WeChat app this AppID is; 'app' (a native mobile app) by default. */
  channel?: WechatChannel;
  /** Bound to the Open Platform account, so that its identities carry unionid; true by default. */
  openPlatform?: boolean;
  /** Web apps: the registered callback domains; redirect_uri's host must be one or under one. Unset: any. */
  redirectDomains?: readonly string[];
  /** Official accounts and mini programs: the message server's Token, which signs every push. */
  messageToken?: string;
  /** Set: pushes are encrypted (safe mode) with this 43-character EncodingAESKey. */
  encodingAesKey?: string | null;
  /** A verified service account: may create parametric QR codes. */
  serviceAccount?: boolean;
}

export interface FakeWechatOptions {
  apps: readonly FakeWechatApp[];
  settings?: Partial<FakeSettings>;
  /** Reports each call, for the service's logs in sandbox mode; never given a secret or token. */
  onCall?: (call: FakeCall) => void;
}

/** A WeChat fault: its error is an `errcode`; WeChat's fake holds no answer (no `hold`). */
export interface FakeFault extends FaultBase<FakeEndpoint> {
  errcode?: number;
}

export interface FakeSettings {
  /** Content-Type of every answer; WeChat has sent all three. */
  contentType: string;
  /** Lifetime of every one-time code: OAuth codes, js codes, phone codes. */
  codeTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Lifetime of an app-level token from stable_token. */
  appTokenTtlSeconds: number;
  /** errcode for an expired OAuth code: 40029 (what is usually seen) or 42003 (what is documented). */
  expiredCodeErrcode: 40029 | 42003;
  /** Issue a new refresh_token on every refresh (and kill the old one). */
  rotateRefreshTokens: boolean;
  /** Leave unionid out of every userinfo answer. */
  dropUnionid: boolean;
  /** Send sex as a string ("0"), as some answers do. */
  sexAsString: boolean;
  /** Append a trailing comma to scope ("snsapi_userinfo,"). */
  scopeTrailingComma: boolean;
  /** jscode2session calls a minute per user of one mini program before 45011. */
  jscodeMinuteQuota: number;
}

export const DEFAULT_SETTINGS: FakeSettings = {
  contentType: 'application/json; encoding=utf-8',
  codeTtlSeconds: 300,
  accessTokenTtlSeconds: 7200,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  appTokenTtlSeconds: 7200,
  expiredCodeErrcode: 40029,
  rotateRefreshTokens: false,
  dropUnionid: false,
  sexAsString: false,
  scopeTrailingComma: false,
  jscodeMinuteQuota: 100,
};

export interface FakeCall extends LoggedCall {
  endpoint: FakeEndpoint | FakePage;
  /** The path WeChat was called on, e.g. `/sns/jscode2session`. */
  path: string;
  at: string;
  appid?: string;
  openid?: string;
  /** What the fake answered: an errcode, 0 for success, or the fault applied. */
  result: string;
}

export interface AppRecord {
  appId: string;
  secret: string;
  channel: WechatChannel;
  openPlatform: boolean;
  redirectDomains?: readonly string[];
  messageToken?: string;
  encodingAesKey?: string | null;
  serviceAccount: boolean;
}

/** A temporary parametric QR code of an official account. */
export interface QrTicket {
  ticket: string;
  appid: string;
  scene: string;
  expiresAt: number;
}

export interface Person {
  label: string;
  unionid: string;
  nickname: string;
  avatarUrl: string;
  /** Tokens issued before this moment answer 42007 ("password changed"). */
  credentialsResetAt: number;
}

/** One single-use code: an OAuth code (app and web authorize), a js code (wx.login) or a phone code. */
export interface CodeRecord {
  kind: 'oauth' | 'js' | 'phone';
  appid: string;
  person: string;
  expiresAt: number;
  usedAt?: number;
  /** oauth: the scope granted. */
  scope?: string;
  /** oauth, js: the exchange answers without unionid. */
  withoutUnionid?: boolean;
  /** oauth: an official account's snapshot page; the exchange answers is_snapshotuser: 1. */
  snapshot?: boolean;
  /** js: the exchange answers 40226 (high-risk user). */
  highRisk?: boolean;
  /** phone: the number behind the button. */
  phone?: { purePhoneNumber: string; countryCode: string };
}

export interface Grant {
  id: string;
  appid: string;
  person: string;
  openid: string;
  scope: string;
  withoutUnionid: boolean;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  issuedAt: number;
}

/** An app-level access token from stable_token. */
export interface AppToken {
  token: string;
  appid: string;
  issuedAt: number;
  expiresAt: number;
}

export type { Json } from '../fake-kit';
