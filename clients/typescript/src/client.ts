import { type LoginOutcome, type User } from './base-client.js';
import { LoginServiceError, isErrorCode } from './errors.js';
import {
  AlipayLoginDocument,
  AppleLoginDocument,
  BindPhoneDocument,
  CarrierBindPhoneDocument,
  CarrierLoginDocument,
  DeleteMyAccountDocument,
  HuaweiLoginDocument,
  LinkAlipayDocument,
  LinkAppleDocument,
  LinkHuaweiDocument,
  LinkWechatDocument,
  LoginOptionsDocument,
  LoginWithPhoneDocument,
  MyPersonalDataDocument,
  SendSmsCodeDocument,
  StartWechatLoginDocument,
  UnlinkIdentityDocument,
  UnlinkWechatDocument,
  WechatLoginDocument,
  WechatMiniProgramBindPhoneDocument,
  WechatMiniProgramLoginDocument,
  type AppleLoginInput,
  type IdentityProvider,
  type LoginOptionsQuery,
  type MyPersonalDataQuery,
  type Platform,
  type ReauthInput,
  type SendSmsCodeMutation,
  type SmsPurpose,
  type StartWechatLoginMutation,
  type WechatChannel,
  type WechatLoginMutation,
} from './generated/graphql.js';
import type { PhoneButtonDetail } from './mini-program.js';
import { QrLoginClientCore } from './qr-login.js';
import { parseWechatReturn, PendingWechatLogins, type WebWechatChannel } from './web-login.js';

export type { LoginClientOptions, LoginOutcome, RequestAuth, User } from './base-client.js';

/** After appleLogin / huaweiLogin: signed in, or the phone-binding screen (sendBindCode, bindPhone or carrierBindPhone). */
export type ProviderLoginOutcome = LoginOutcome;

type WechatProfile = WechatLoginMutation['wechatLogin']['wechatProfile'];
/** After wechatLogin / wechatMiniProgramLogin: signed in, or the phone-binding screen; with WeChat's profile. */
export type WechatLoginOutcome = LoginOutcome & { profile: WechatProfile };

/** `e.detail` of the phone button, sent: signed in, or bind by SMS with the same ticket. */
export type PhoneButtonOutcome =
  | { isBound: true; user: User }
  | {
      isBound: false;
      /** PHONE_QUOTA_EXCEEDED: the daily cap of WeChat numbers is spent; REFUSED: the user said no */
      reason: 'PHONE_QUOTA_EXCEEDED' | 'REFUSED';
      /** still valid: sendBindCode(phone, bindTicket) then bindPhone(bindTicket, phone, code) */
      bindTicket: string;
    };

/** The return to a web page from WeChat (see completeWechatWebLogin). */
export type WechatWebReturn =
  /** no `state` in the address: not a return from WeChat, show the login page */
  | { status: 'none' }
  /** the user declined at WeChat: stay on the login page */
  | { status: 'declined'; cleanUrl: string }
  /** a state this browser did not start (someone else's link, or already used): ignored */
  | { status: 'unknown-state'; cleanUrl: string }
  | { status: 'completed'; outcome: WechatLoginOutcome; cleanUrl: string }
  /** started with `link: true`: WeChat is now linked to the signed-in user */
  | { status: 'linked'; user: User; cleanUrl: string };

type SmsCodeSent = SendSmsCodeMutation['sendSmsCode'];
interface SendOptions {
  /** the solved captcha's token, after CAPTCHA_REQUIRED: it buys one send */
  captchaToken?: string;
}

/**
 * The client for app teams: every generated operation through `request`, and the login flows of
 * docs/mobile.md and docs/channels.md as methods. Every call that takes a `deviceId` gets one.
 * Signed-in calls carry the access token, refreshed before it expires and once more on UNAUTHENTICATED.
 */
export class LoginClient extends QrLoginClientCore {
  private get platform(): Platform | undefined {
    return this.options.platform;
  }

  /** Which login buttons to show, in order (`methods`), and which WeChat flow (`wechatChannel`). */
  async loginOptions(
    options: {
      platform?: Platform;
      wechatInstalled?: boolean;
      carrierAvailable?: boolean;
      inWechatBrowser?: boolean;
    } = {},
  ): Promise<LoginOptionsQuery['loginOptions']> {
    const platform = options.platform ?? this.platform;
    if (!platform) throw new Error('loginOptions: pass platform (or set it on the client)');
    const { loginOptions } = await this.request(
      LoginOptionsDocument,
      {
        platform,
        wechatInstalled: options.wechatInstalled ?? false,
        carrierAvailable: options.carrierAvailable ?? false,
        inWechatBrowser: options.inWechatBrowser ?? false,
      },
      'none',
    );
    return loginOptions;
  }

  // ---- phone: sendLoginCode -> loginWithPhone. One code a minute per phone (any purpose):
  // SMS_RATE_LIMITED carries retryAfterSeconds; the answer's resendAfter says when to allow "resend".

  /** Send a LOGIN code. Keep the send button disabled until `resendAfter`. */
  async sendLoginCode(phone: string, options: SendOptions = {}): Promise<SmsCodeSent> {
    return this.sendCode(phone, 'LOGIN', options, 'none');
  }

  /** Log in (or sign up) with the phone and its code; stores the session. */
  async loginWithPhone(phone: string, smsCode: string): Promise<User> {
    const input = { phone, smsCode, deviceId: await this.deviceId(), platform: this.platform };
    return this.signedIn((await this.request(LoginWithPhoneDocument, { input }, 'none')).loginWithPhone);
  }

  /** Binding, 1: send a BIND_PHONE code to the phone the user typed (any provider's ticket). */
  async sendBindCode(phone: string, bindTicket: string, options: SendOptions = {}): Promise<SmsCodeSent> {
    return this.sendCode(phone, 'BIND_PHONE', { ...options, bindTicket }, 'none');
  }

  /** Binding, 2: the ticket, the phone and its code; stores the session. */
  async bindPhone(bindTicket: string, phone: string, smsCode: string): Promise<User> {
    const input = { bindTicket, phone, smsCode, deviceId: await this.deviceId(), platform: this.platform };
    return this.signedIn((await this.request(BindPhoneDocument, { input }, 'none')).bindPhone);
  }

  // ---- WeChat in an app (APP channel): startWechatLogin -> SendAuth -> completeWechatLogin

  /**
   * Step 1: pass `scope` and `state` to SendAuth.Req. `link: true` (signed in) starts linking
   * WeChat to the current user instead (then call linkWechat with the code). Web pages use
   * startWechatWebLogin.
   */
  async startWechatLogin(
    options: { appId?: string; link?: boolean; channel?: WechatChannel; redirectUri?: string } = {},
  ): Promise<StartWechatLoginMutation['startWechatLogin']> {
    const { link, ...args } = options;
    const { startWechatLogin } = await this.request(
      StartWechatLoginDocument,
      { ...args, deviceId: await this.deviceId() },
      link ? 'required' : 'none',
    );
    return startWechatLogin;
  }

  /**
   * Step 3: the code from SendAuth.Resp (or the web page's return) and the state of step 1.
   * Signed in (session stored), or a bind ticket. Retryable failures are retried with the same code.
   */
  async completeWechatLogin(code: string, state: string, appId?: string): Promise<WechatLoginOutcome> {
    const input = { code, state, appId, deviceId: await this.deviceId(), platform: this.platform };
    const { wechatLogin } = await this.request(WechatLoginDocument, { input }, 'none');
    return { ...(await this.settle(wechatLogin)), profile: wechatLogin.wechatProfile };
  }

  // ---- WeChat on a web page: OFFICIAL_ACCOUNT (inside WeChat) or WEBSITE (QR on a desktop)

  /**
   * Web, 1: asks for WeChat's page and keeps the pending login (state, app, where to come back)
   * in `pendingStorage`. Then `location.assign(authorizeUrl)`. The device id goes with it: the
   * return is finished only by this browser.
   */
  async startWechatWebLogin(options: {
    channel: WebWechatChannel;
    redirectUri: string;
    appId?: string;
    link?: boolean;
  }): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
    const started = await this.startWechatLogin(options);
    if (!started.authorizeUrl) throw new Error('startWechatLogin answered no authorizeUrl for a web channel');
    await this.pending().save({
      state: started.state,
      appId: started.appId,
      channel: options.channel,
      redirectUri: options.redirectUri,
      link: options.link === true,
      expiresAt: started.expiresAt,
    });
    return { authorizeUrl: started.authorizeUrl, state: started.state, expiresAt: started.expiresAt };
  }

  /**
   * Web, 2: on the redirect page, with `location.href`. Finishes the login (or link) when the
   * address carries the state this browser started; the pending login is used once.
   * Then `history.replaceState(null, '', result.cleanUrl)`.
   */
  async completeWechatWebLogin(url: string): Promise<WechatWebReturn> {
    const { code, state, cleanUrl } = parseWechatReturn(url);
    if (!state) return { status: 'none' };
    const pendings = this.pending();
    const pending = await pendings.load();
    if (!pending || pending.state !== state) return { status: 'unknown-state', cleanUrl };
    await pendings.clear();
    if (!code) return { status: 'declined', cleanUrl };
    if (pending.link) return { status: 'linked', user: await this.linkWechat(code, state, pending.appId), cleanUrl };
    return { status: 'completed', outcome: await this.completeWechatLogin(code, state, pending.appId), cleanUrl };
  }

  // ---- WeChat mini program: wx.login() -> wechatMiniProgramLogin -> [phone button | SMS]

  /** The js code of `wx.login()` (miniProgramLoginCode(wx)): signed in, or a bind ticket. */
  async wechatMiniProgramLogin(code: string, options: { appId?: string } = {}): Promise<WechatLoginOutcome> {
    const input = { code, appId: options.appId, deviceId: await this.deviceId() };
    const { wechatMiniProgramLogin } = await this.request(WechatMiniProgramLoginDocument, { input }, 'none');
    return { ...(await this.settle(wechatMiniProgramLogin)), profile: wechatMiniProgramLogin.wechatProfile };
  }

  /**
   * The phone button's `e.detail` (or its code) with the ticket: signed in, or `isBound: false`
   * when the button cannot be used (user refused, PHONE_QUOTA_EXCEEDED): bind by SMS with the same ticket.
   */
  async wechatMiniProgramBindPhone(
    bindTicket: string,
    detail: PhoneButtonDetail | string,
  ): Promise<PhoneButtonOutcome> {
    const phoneCode = typeof detail === 'string' ? detail : detail?.code;
    if (!phoneCode) return { isBound: false, reason: 'REFUSED', bindTicket };
    try {
      const input = { bindTicket, phoneCode, deviceId: await this.deviceId() };
      const { wechatMiniProgramBindPhone } = await this.request(WechatMiniProgramBindPhoneDocument, { input }, 'none');
      return { isBound: true, user: await this.signedIn(wechatMiniProgramBindPhone) };
    } catch (error) {
      if (isErrorCode(error, 'PHONE_QUOTA_EXCEEDED'))
        return { isBound: false, reason: 'PHONE_QUOTA_EXCEEDED', bindTicket };
      throw error;
    }
  }

  // ---- Sign in with Apple, Huawei ID, carrier one-tap (same isBind rule: a session, or a bind ticket)

  /** Sign in with Apple: the identity token, the authorization code and the raw nonce the app made. */
  async appleLogin(input: Omit<AppleLoginInput, 'deviceId'>): Promise<ProviderLoginOutcome> {
    const { appleLogin } = await this.request(
      AppleLoginDocument,
      { input: { ...input, deviceId: await this.deviceId() } },
      'none',
    );
    return this.settle(appleLogin);
  }

  /** Huawei ID (HarmonyOS): Account Kit's authorization code. */
  async huaweiLogin(authorizationCode: string): Promise<ProviderLoginOutcome> {
    const input = { authorizationCode, deviceId: await this.deviceId() };
    return this.settle((await this.request(HuaweiLoginDocument, { input }, 'none')).huaweiLogin);
  }

  /**
   * Alipay: the auth_code of the Alipay app SDK (授权登录) or of my.getAuthCode in an Alipay mini program;
   * `appId` names the Alipay app when the server has several (its first otherwise). A retry of the same
   * code from this device gets the same answer.
   */
  async alipayLogin(authCode: string, appId?: string): Promise<ProviderLoginOutcome> {
    const input = { authCode, appId, deviceId: await this.deviceId() };
    return this.settle((await this.request(AlipayLoginDocument, { input }, 'none')).alipayLogin);
  }

  /** Carrier one-tap: the carrier SDK's token. On CARRIER_TOKEN_INVALID, fall back to SMS. */
  async carrierLogin(token: string): Promise<User> {
    const input = { token, deviceId: await this.deviceId(), platform: this.platform };
    return this.signedIn((await this.request(CarrierLoginDocument, { input }, 'none')).carrierLogin);
  }

  /** Carrier one-tap as the phone step of any provider's first login (same ticket for SMS after a failure). */
  async carrierBindPhone(bindTicket: string, token: string): Promise<User> {
    const input = { bindTicket, token, deviceId: await this.deviceId() };
    return this.signedIn((await this.request(CarrierBindPhoneDocument, { input }, 'none')).carrierBindPhone);
  }

  // ---- signed in: link and unlink ways to log in, delete the account

  /** The code and state of a WeChat authorization started with `startWechatLogin({ link: true })`. */
  async linkWechat(code: string, state: string, appId?: string): Promise<User> {
    const input = { code, state, appId, deviceId: await this.deviceId() };
    return this.updated((await this.request(LinkWechatDocument, { input }, 'required')).linkWechat);
  }

  async linkApple(input: Omit<AppleLoginInput, 'deviceId'>): Promise<User> {
    const variables = { input: { ...input, deviceId: await this.deviceId() } };
    return this.updated((await this.request(LinkAppleDocument, variables, 'required')).linkApple);
  }

  async linkHuawei(authorizationCode: string): Promise<User> {
    const input = { authorizationCode, deviceId: await this.deviceId() };
    return this.updated((await this.request(LinkHuaweiDocument, { input }, 'required')).linkHuawei);
  }

  async linkAlipay(authCode: string, appId?: string): Promise<User> {
    const input = { authCode, appId, deviceId: await this.deviceId() };
    return this.updated((await this.request(LinkAlipayDocument, { input }, 'required')).linkAlipay);
  }

  /** Remove a way to log in (`appId`: one app's only). LAST_LOGIN_METHOD: it is the user's last one. */
  async unlinkIdentity(provider: IdentityProvider, appId?: string): Promise<User> {
    return this.updated((await this.request(UnlinkIdentityDocument, { provider, appId }, 'required')).unlinkIdentity);
  }

  async unlinkWechat(): Promise<User> {
    return this.updated((await this.request(UnlinkWechatDocument, {}, 'required')).unlinkWechat);
  }

  /**
   * Deleting, 1: a DELETE_ACCOUNT code to the user's own phone. Right after another code to that
   * phone (a binding, a login) this is SMS_RATE_LIMITED: show error.retryAfterSeconds as a countdown.
   */
  async sendDeleteAccountCode(options: SendOptions = {}): Promise<SmsCodeSent> {
    const phone = (await this.me()).phone;
    if (!phone)
      throw new LoginServiceError({
        message: 'This account has no phone to confirm with.',
        extensions: { code: 'BAD_USER_INPUT', field: 'phone' },
      });
    return this.sendCode(phone, 'DELETE_ACCOUNT', options, 'required');
  }

  /**
   * Deleting, 2: the code, or instead a fresh sign-in proof of a provider linked to the user
   * (`{ reauth }`: what that provider's login takes; users without a phone must use it).
   * REAUTH_PROOF_INVALID: the proof is spent, stale or someone else's. Every session ends; this one
   * is forgotten here too.
   */
  async deleteMyAccount(confirmation: string | { reauth: ReauthInput }): Promise<void> {
    const variables = typeof confirmation === 'string' ? { smsCode: confirmation } : { reauth: confirmation.reauth };
    await this.request(DeleteMyAccountDocument, variables, 'required');
    await this.session.clear();
  }

  /** What the service holds about the user, and which third party received each item. */
  async myPersonalData(): Promise<MyPersonalDataQuery['myPersonalData']> {
    return (await this.request(MyPersonalDataDocument, {}, 'required')).myPersonalData;
  }

  private async sendCode(
    phone: string,
    purpose: SmsPurpose,
    options: SendOptions & { bindTicket?: string },
    auth: 'none' | 'required',
  ): Promise<SmsCodeSent> {
    const input = { phone, purpose, deviceId: await this.deviceId(), ...options };
    return (await this.request(SendSmsCodeDocument, { input }, auth)).sendSmsCode;
  }

  private async updated(user: User): Promise<User> {
    await this.session.updateUser(user);
    return user;
  }

  private pending(): PendingWechatLogins {
    return new PendingWechatLogins(this.options.pendingStorage ?? this.storage, `${this.session.key}.wechat-pending`);
  }
}
