import { LoginServiceError } from './errors';
import {
  AppleLoginDocument,
  BindPhoneDocument,
  CarrierBindPhoneDocument,
  CarrierLoginDocument,
  HuaweiLoginDocument,
  LoginWithPhoneDocument,
  LogoutDocument,
  MeDocument,
  SendSmsCodeDocument,
  StartWechatLoginDocument,
  WechatLoginDocument,
  type AppleLoginInput,
  type LoginResultFieldsFragment,
  type MeQuery,
  type Platform,
  type SendSmsCodeMutation,
  type StartWechatLoginMutation,
  type UserFieldsFragment,
  type WechatLoginMutation,
} from './generated/graphql';
import { SessionManager, type StoredSession } from './session-manager';
import { MemoryStorage, type TokenStorage } from './storage';
import { GraphQLTransport, type TransportOptions, type TypedDocument } from './transport';

export interface LoginClientOptions extends TransportOptions {
  /** where the tokens live (default: in memory) */
  storage?: TokenStorage;
  storageKey?: string;
  /** refresh this long before the access token expires (default 60 s) */
  refreshAheadSeconds?: number;
  now?: () => number;
  /** the session ended on its own (refresh token dead or reused, user banned): show the login screen */
  onSessionEnded?: (error: LoginServiceError) => void;
  /** sent with every login call: a UUID kept for the installation */
  deviceId?: string;
  platform?: Platform;
}

export type RequestAuth = 'none' | 'optional' | 'required';

/** After appleLogin / huaweiLogin: signed in, or the phone-binding screen (sendBindCode, bindPhone or carrierBindPhone). */
export type ProviderLoginOutcome =
  | { isBind: true; user: UserFieldsFragment }
  | { isBind: false; bindTicket: string; bindTicketExpiresAt: unknown };

/** The step after wechatLogin: signed in, or the phone-binding screen. */
export type WechatLoginOutcome =
  | { isBind: true; user: UserFieldsFragment; profile: WechatLoginMutation['wechatLogin']['wechatProfile'] }
  | {
      isBind: false;
      bindTicket: string;
      bindTicketExpiresAt: string | null;
      profile: WechatLoginMutation['wechatLogin']['wechatProfile'];
    };

/**
 * The client for app teams: every generated operation through `request`, and the login flows of
 * docs/mobile.md as methods. Signed-in calls carry the access token, refreshed before it expires
 * and once more when the service says UNAUTHENTICATED.
 */
export class LoginClient {
  readonly transport: GraphQLTransport;
  readonly session: SessionManager;

  constructor(private readonly options: LoginClientOptions) {
    this.transport = new GraphQLTransport(options);
    this.session = new SessionManager({
      transport: this.transport,
      storage: options.storage ?? new MemoryStorage(),
      key: options.storageKey,
      refreshAheadSeconds: options.refreshAheadSeconds,
      now: options.now,
      onSessionEnded: options.onSessionEnded,
    });
  }

  /**
   * Run any operation (the generated `...Document` constants). `auth`: 'optional' (default) sends
   * the token when signed in; 'required' fails with UNAUTHENTICATED when signed out; 'none' never.
   */
  async request<TResult, TVariables>(
    document: TypedDocument<TResult, TVariables>,
    variables?: TVariables,
    auth: RequestAuth = 'optional',
  ): Promise<TResult> {
    if (auth === 'none') return this.transport.request(document, variables);
    let token: string | null;
    try {
      token = await this.session.getAccessToken();
    } catch (error) {
      // 'optional': a session that just ended (and was cleared) does not stop a public call.
      if (auth !== 'optional' || (await this.isSignedIn())) throw error;
      token = null;
    }
    if (!token && auth === 'required') {
      throw new LoginServiceError({ message: 'Not signed in.', extensions: { code: 'UNAUTHENTICATED' } });
    }
    try {
      return await this.transport.request(document, variables, { accessToken: token });
    } catch (error) {
      if (!token || !(error instanceof LoginServiceError) || error.code !== 'UNAUTHENTICATED') throw error;
      // Expired early (clock skew) or already refreshed by another caller: refresh once, retry once.
      const fresh = await this.session.refresh(token);
      return this.transport.request(document, variables, { accessToken: fresh.accessToken });
    }
  }

  async isSignedIn(): Promise<boolean> {
    return (await this.session.getSession()) !== null;
  }

  async currentSession(): Promise<StoredSession | null> {
    return this.session.getSession();
  }

  // ---- phone login: sendLoginCode -> loginWithPhone

  /** Send a LOGIN code. Keep the send button disabled until `resendAfter`. */
  async sendLoginCode(phone: string): Promise<SendSmsCodeMutation['sendSmsCode']> {
    return (await this.request(SendSmsCodeDocument, { input: { phone, purpose: 'LOGIN' } }, 'none')).sendSmsCode;
  }

  /** Log in (or sign up) with the phone and its code; stores the session. */
  async loginWithPhone(phone: string, smsCode: string): Promise<UserFieldsFragment> {
    const { loginWithPhone } = await this.request(
      LoginWithPhoneDocument,
      { input: { phone, smsCode, deviceId: this.options.deviceId, platform: this.options.platform } },
      'none',
    );
    return (await this.session.setSession(loginWithPhone)).user;
  }

  // ---- WeChat: startWechatLogin -> (WeChat SDK SendAuth) -> completeWechatLogin -> [sendBindCode -> bindPhone]

  /**
   * Step 1: pass `scope` and `state` to SendAuth.Req. `link: true` (signed in) starts linking
   * WeChat to the current user instead (then call linkWechat with the code).
   */
  async startWechatLogin(
    options: { appId?: string; link?: boolean } = {},
  ): Promise<StartWechatLoginMutation['startWechatLogin']> {
    const { startWechatLogin } = await this.request(
      StartWechatLoginDocument,
      { deviceId: this.options.deviceId, appId: options.appId },
      options.link ? 'required' : 'none',
    );
    return startWechatLogin;
  }

  /**
   * Step 3: the code from SendAuth.Resp and the state of step 1. Signed in (session stored), or
   * a bind ticket for the phone-binding screen. Retryable failures are retried with the same code.
   */
  async completeWechatLogin(code: string, state: string, appId?: string): Promise<WechatLoginOutcome> {
    const { wechatLogin } = await this.request(
      WechatLoginDocument,
      { input: { code, state, appId, deviceId: this.options.deviceId, platform: this.options.platform } },
      'none',
    );
    if (wechatLogin.isBind && wechatLogin.session) {
      const stored = await this.session.setSession(wechatLogin.session);
      return { isBind: true, user: stored.user, profile: wechatLogin.wechatProfile };
    }
    return {
      isBind: false,
      bindTicket: wechatLogin.bindTicket!,
      bindTicketExpiresAt: wechatLogin.bindTicketExpiresAt ?? null,
      profile: wechatLogin.wechatProfile,
    };
  }

  /** Binding, 1: send a BIND_PHONE code to the phone the user typed. */
  async sendBindCode(phone: string, bindTicket: string): Promise<SendSmsCodeMutation['sendSmsCode']> {
    const { sendSmsCode } = await this.request(
      SendSmsCodeDocument,
      { input: { phone, purpose: 'BIND_PHONE', bindTicket } },
      'none',
    );
    return sendSmsCode;
  }

  /** Binding, 2: the ticket, the phone and its code; stores the session. */
  async bindPhone(bindTicket: string, phone: string, smsCode: string): Promise<UserFieldsFragment> {
    const { bindPhone } = await this.request(
      BindPhoneDocument,
      { input: { bindTicket, phone, smsCode, deviceId: this.options.deviceId, platform: this.options.platform } },
      'none',
    );
    return (await this.session.setSession(bindPhone)).user;
  }

  // ---- Sign in with Apple, Huawei ID, carrier one-tap (same isBind rule: a session, or a bind ticket)

  /** Sign in with Apple: the identity token, the authorization code and the raw nonce the app made. */
  async appleLogin(input: Omit<AppleLoginInput, 'deviceId'>): Promise<ProviderLoginOutcome> {
    const { appleLogin } = await this.request(
      AppleLoginDocument,
      { input: { ...input, deviceId: this.options.deviceId } },
      'none',
    );
    return this.settle(appleLogin);
  }

  /** Huawei ID (HarmonyOS): Account Kit's authorization code. */
  async huaweiLogin(authorizationCode: string): Promise<ProviderLoginOutcome> {
    const { huaweiLogin } = await this.request(
      HuaweiLoginDocument,
      { input: { authorizationCode, deviceId: this.options.deviceId } },
      'none',
    );
    return this.settle(huaweiLogin);
  }

  /** Carrier one-tap: the carrier SDK's token. On CARRIER_TOKEN_INVALID, fall back to SMS. */
  async carrierLogin(token: string): Promise<UserFieldsFragment> {
    const { carrierLogin } = await this.request(
      CarrierLoginDocument,
      { input: { token, deviceId: this.options.deviceId, platform: this.options.platform } },
      'none',
    );
    return (await this.session.setSession(carrierLogin)).user;
  }

  /** Carrier one-tap as the phone step of any provider's first login. */
  async carrierBindPhone(bindTicket: string, token: string): Promise<UserFieldsFragment> {
    const { carrierBindPhone } = await this.request(
      CarrierBindPhoneDocument,
      { input: { bindTicket, token, deviceId: this.options.deviceId } },
      'none',
    );
    return (await this.session.setSession(carrierBindPhone)).user;
  }

  private async settle(result: LoginResultFieldsFragment): Promise<ProviderLoginOutcome> {
    if (result.isBind && result.session) return { isBind: true, user: (await this.session.setSession(result.session)).user };
    return { isBind: false, bindTicket: result.bindTicket!, bindTicketExpiresAt: result.bindTicketExpiresAt ?? null };
  }

  // ---- signed in

  /** The signed-in user, with the ways they can log in (`identities`). */
  async me(): Promise<MeQuery['me']> {
    return (await this.request(MeDocument, {}, 'required')).me;
  }

  /**
   * Cold start of a user who logged in with WeChat: renews the session and re-checks the WeChat
   * grant. After REAUTH_REQUIRED the session still works; run startWechatLogin again when convenient.
   */
  async wechatRelogin(): Promise<UserFieldsFragment> {
    return (await this.session.wechatRelogin()).user;
  }

  /** End this session on the server (when reachable) and forget it here. */
  async logout(): Promise<void> {
    try {
      if (await this.isSignedIn()) await this.request(LogoutDocument, {}, 'required');
    } catch (error) {
      if (!(error instanceof LoginServiceError) || error.code !== 'UNAUTHENTICATED') throw error;
    } finally {
      await this.session.clear();
    }
  }
}
