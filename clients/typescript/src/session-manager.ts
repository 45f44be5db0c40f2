import { LoginServiceError, NetworkError } from './errors.js';
import { RefreshSessionDocument, WechatReloginDocument, type SessionFieldsFragment } from './generated/graphql.js';
import type { TokenStorage } from './storage.js';
import { accessTokenLifetimeMs } from './token-lifetime.js';
import type { GraphQLTransport } from './transport.js';

/** What is kept in storage: the token pair and who it belongs to. */
export interface StoredSession {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  user: SessionFieldsFragment['user'];
  /**
   * When the access token expires on this device's clock: arrival time plus the token's lifetime
   * (its iat..exp), so that a device clock that is off does not matter.
   */
  localExpiresAt?: number;
}

export interface SessionManagerOptions {
  transport: GraphQLTransport;
  storage: TokenStorage;
  /** storage key (default "wechat-login.session"); one key, one session */
  key?: string;
  /** refresh this long before accessTokenExpiresAt (default 60 s) */
  refreshAheadSeconds?: number;
  /** the clock (default Date.now) */
  now?: () => number;
  /** called once when the session ends without logout: refresh token dead, reused, user banned */
  onSessionEnded?: (error: LoginServiceError) => void;
}

// Codes after which the refresh token will never work again.
const DEAD = new Set<string>(['UNAUTHENTICATED', 'USER_BANNED']);

// Refreshes in flight, per storage and key: every manager (and every caller) sharing a session
// shares its one refresh. The server rotates refresh tokens, and a second use of one is taken as
// theft (the whole session family ends) unless it comes within 10 s of the first.
const inFlight = new WeakMap<TokenStorage, Map<string, Promise<StoredSession>>>();

/**
 * Keeps the session in the storage, hands out an access token that is not about to expire, and
 * refreshes it once at a time.
 */
export class SessionManager {
  readonly key: string;
  private readonly refreshAheadMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionManagerOptions) {
    this.key = options.key ?? 'wechat-login.session';
    this.refreshAheadMs = (options.refreshAheadSeconds ?? 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The stored session, or null when signed out. Read from the storage each time. */
  async getSession(): Promise<StoredSession | null> {
    const raw = await this.options.storage.get(this.key);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as StoredSession;
    } catch {
      return null;
    }
  }

  /** Store a session answered by a login call (loginWithPhone, bindPhone, wechatLogin, ...). */
  async setSession(session: SessionFieldsFragment): Promise<StoredSession> {
    const stored: StoredSession = {
      accessToken: session.accessToken,
      accessTokenExpiresAt: session.accessTokenExpiresAt,
      refreshToken: session.refreshToken,
      refreshTokenExpiresAt: session.refreshTokenExpiresAt,
      user: session.user,
    };
    const lifetime = accessTokenLifetimeMs(session.accessToken);
    if (lifetime !== null) stored.localExpiresAt = this.now() + lifetime;
    await this.options.storage.set(this.key, JSON.stringify(stored));
    return stored;
  }

  /** Keep the stored user current after a call that changed it (linking, unlinking). */
  async updateUser(user: StoredSession['user']): Promise<void> {
    const session = await this.getSession();
    if (session && session.user.id === user.id) {
      await this.options.storage.set(this.key, JSON.stringify({ ...session, user: { ...session.user, ...user } }));
    }
  }

  async clear(): Promise<void> {
    await this.options.storage.remove(this.key);
  }

  /**
   * An access token valid for a while yet (refreshing first when it is due), or null when signed
   * out. Throws the refresh's error when the refresh fails.
   */
  async getAccessToken(): Promise<string | null> {
    const session = await this.getSession();
    if (!session) return null;
    if (this.expiresAt(session) - this.refreshAheadMs > this.now()) return session.accessToken;
    return (await this.refresh(session.accessToken)).accessToken;
  }

  /**
   * Renew the pair with refreshSession. `rejectedAccessToken`: the token the service just refused;
   * when the stored one is already newer, that one is returned and nothing is sent.
   */
  refresh(rejectedAccessToken?: string): Promise<StoredSession> {
    return this.rotate('refreshSession', rejectedAccessToken);
  }

  /**
   * Cold start of a WeChat user: wechatRelogin also re-checks the WeChat grant. It spends the
   * refresh token like a refresh, so it takes the same one-at-a-time slot (joining a refresh in
   * flight). REAUTH_REQUIRED leaves the session working: run the WeChat authorization when convenient.
   */
  wechatRelogin(): Promise<StoredSession> {
    return this.rotate('wechatRelogin');
  }

  private rotate(via: 'refreshSession' | 'wechatRelogin', rejectedAccessToken?: string): Promise<StoredSession> {
    let byKey = inFlight.get(this.options.storage);
    if (!byKey) inFlight.set(this.options.storage, (byKey = new Map()));
    const running = byKey.get(this.key);
    if (running) return running;
    const map = byKey;
    const promise = this.refreshNow(via, rejectedAccessToken).finally(() => map.delete(this.key));
    map.set(this.key, promise);
    return promise;
  }

  private expiresAt(session: StoredSession): number {
    return session.localExpiresAt ?? Date.parse(session.accessTokenExpiresAt);
  }

  private async refreshNow(
    via: 'refreshSession' | 'wechatRelogin',
    rejectedAccessToken?: string,
  ): Promise<StoredSession> {
    const session = await this.getSession();
    if (!session) throw new LoginServiceError({ message: 'Not signed in.', extensions: { code: 'UNAUTHENTICATED' } });
    if (
      rejectedAccessToken !== undefined &&
      session.accessToken !== rejectedAccessToken &&
      this.expiresAt(session) - this.refreshAheadMs > this.now()
    ) {
      return session; // someone refreshed since that call went out
    }
    try {
      const next = await this.sendRefresh(via, session.refreshToken);
      // Store the new pair before anyone uses it: the old refresh token is spent.
      return await this.setSession(next);
    } catch (error) {
      if (error instanceof LoginServiceError && DEAD.has(error.code)) {
        const now = await this.getSession();
        // Another process sharing the storage rotated it meanwhile: theirs is the live one.
        if (now && now.refreshToken !== session.refreshToken) return now;
        await this.clear();
        this.options.onSessionEnded?.(error);
      }
      throw error;
    }
  }

  // A lost answer may be retried once with the same token: the server's 10 s grace allows exactly that.
  private async sendRefresh(
    via: 'refreshSession' | 'wechatRelogin',
    refreshToken: string,
  ): Promise<SessionFieldsFragment> {
    const once = async (): Promise<SessionFieldsFragment> =>
      via === 'wechatRelogin'
        ? (await this.options.transport.request(WechatReloginDocument, { refreshToken })).wechatRelogin
        : (await this.options.transport.request(RefreshSessionDocument, { refreshToken })).refreshSession;
    try {
      return await once();
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      return await once();
    }
  }
}
