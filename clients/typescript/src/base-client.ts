import { LoginServiceError } from './errors.js';
import {
  LogoutDocument,
  MeDocument,
  type MeQuery,
  type Platform,
  type SessionFieldsFragment,
} from './generated/graphql.js';
import { SessionManager, type StoredSession } from './session-manager.js';
import { MemoryStorage, newDeviceId, type TokenStorage } from './storage.js';
import { GraphQLTransport, type TransportOptions, type TypedDocument } from './transport.js';

export interface LoginClientOptions extends TransportOptions {
  /** where the tokens (and the generated device id) live; default: in memory */
  storage?: TokenStorage;
  storageKey?: string;
  /**
   * where a web WeChat login waits while the browser is at WeChat's page (default: `storage`);
   * browsers: `webStorage(sessionStorage)`
   */
  pendingStorage?: TokenStorage;
  /** refresh this long before the access token expires (default 60 s) */
  refreshAheadSeconds?: number;
  now?: () => number;
  /** the session ended on its own (refresh token dead or reused, user banned): show the login screen */
  onSessionEnded?: (error: LoginServiceError) => void;
  /**
   * the installation's (browser's) id, sent on every call that takes one. Default: a random UUID
   * made on first use and kept in `storage`, so the same one is sent for as long as the storage lasts.
   */
  deviceId?: string;
  /** IOS, ANDROID, HARMONYOS, MINI_PROGRAM or WEB: sent with the login calls and loginOptions */
  platform?: Platform;
}

// One device id per storage object and key, however many clients share it.
const deviceIds = new WeakMap<TokenStorage, Map<string, Promise<string>>>();

export type RequestAuth = 'none' | 'optional' | 'required';

export type User = SessionFieldsFragment['user'];

/** After a login that may meet a new person: signed in, or the phone-binding screen with a ticket. */
export type LoginOutcome =
  | { isBind: true; user: User }
  | {
      isBind: false;
      /** for sendBindCode + bindPhone, carrierBindPhone, or wechatMiniProgramBindPhone */
      bindTicket: string;
      /** ISO 8601: the ticket (and so the binding screen) lasts until then (10 minutes) */
      bindTicketExpiresAt: string | null;
    };

/** The part of a LoginResult / WechatLoginResult the client reads. */
export interface LoginResultLike {
  isBind: boolean;
  session: SessionFieldsFragment | null;
  bindTicket: string | null;
  bindTicketExpiresAt: string | null;
}

/** Sessions, device id and `request`: what every flow of LoginClient is built on. */
export class LoginClientCore {
  readonly transport: GraphQLTransport;
  readonly session: SessionManager;
  protected readonly storage: TokenStorage;

  constructor(protected readonly options: LoginClientOptions) {
    this.transport = new GraphQLTransport(options);
    this.storage = options.storage ?? new MemoryStorage();
    this.session = new SessionManager({
      transport: this.transport,
      storage: this.storage,
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

  /**
   * The id sent as `deviceId`: `options.deviceId`, or the one kept in the storage (made on first
   * use). The server binds a web login's state and its SMS budgets to it: keep it for the install.
   */
  deviceId(): Promise<string> {
    if (this.options.deviceId) return Promise.resolve(this.options.deviceId);
    const key = `${this.session.key}.device-id`;
    let byKey = deviceIds.get(this.storage);
    if (!byKey) deviceIds.set(this.storage, (byKey = new Map()));
    let id = byKey.get(key);
    if (!id) {
      id = (async () => {
        const kept = await this.storage.get(key);
        if (kept) return kept;
        const made = newDeviceId();
        await this.storage.set(key, made);
        return made;
      })();
      byKey.set(key, id);
      // A failed read is tried again next time.
      id.catch(() => byKey!.delete(key));
    }
    return id;
  }

  async isSignedIn(): Promise<boolean> {
    return (await this.session.getSession()) !== null;
  }

  async currentSession(): Promise<StoredSession | null> {
    return this.session.getSession();
  }

  /** The signed-in user, with the ways they can log in (`identities`). */
  async me(): Promise<MeQuery['me']> {
    return (await this.request(MeDocument, {}, 'required')).me;
  }

  /**
   * Cold start of a user who logged in with WeChat: renews the session and re-checks the WeChat
   * grant. After REAUTH_REQUIRED the session still works; run startWechatLogin again when convenient.
   */
  async wechatRelogin(): Promise<User> {
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

  /** Stores the session of a login answer, or hands back the bind ticket. */
  protected async settle(result: LoginResultLike): Promise<LoginOutcome> {
    if (result.isBind && result.session) {
      return { isBind: true, user: (await this.session.setSession(result.session)).user };
    }
    if (!result.bindTicket) throw new Error('the service answered neither a session nor a bind ticket');
    return { isBind: false, bindTicket: result.bindTicket, bindTicketExpiresAt: result.bindTicketExpiresAt ?? null };
  }

  protected async signedIn(session: SessionFieldsFragment): Promise<User> {
    return (await this.session.setSession(session)).user;
  }
}
