import { Logger } from '@nestjs/common';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { ProviderCalls, str } from '../provider-calls';
import { ProviderRejectedError, ProviderUnavailableError } from '../provider-errors';
import { checkOpaque, checkRedirectUri } from '../provider-input';

export const QQ_FAKE_PATH = '/sandbox/qq';
export const QQ_DEFAULT_API_BASE = 'https://graph.qq.com';
// QQ's tokens and codes are 32 hex characters today; room to grow, none for abuse.
const MAX_TOKEN = 512;

/** What the QQ client needs; the connector that owns it reads and validates these from the environment. */
export interface QqSettings {
  /** Every QQ app of ours (phones and the website): /me's client_id must be one of them. */
  appIds: readonly string[];
  /** The website app of the code flow (its AppKey is the client_secret); null: no web login. */
  web: { appId: string; appKey: string } | null;
  /** https://graph.qq.com; null: the in-process fake under /sandbox/qq. */
  apiBase: string | null;
}

export interface QqIdentity {
  /** The app QQ says the token belongs to (/me's client_id). */
  appId: string;
  /** Per app. */
  openId: string;
  /** Per person across our QQ apps: the key. */
  unionId: string;
  nickname: string | null;
  avatarUrl: string | null;
  /** The code flow's grant (QQ's tokens live 90 days); absent for an SDK token. */
  grant?: { accessToken: string; refreshToken: string | null; expiresIn: number };
}

// QQ's errors (HTTP 200, `error` in the body, wiki.connect.qq.com "公共返回码说明"). The user's token
// or code: bad, expired, revoked, used. Ours to fix: the app, its key, its callback domain, unionid rights.
const TOKEN_ERRORS = new Set([100013, 100014, 100015, 100016]);
const CODE_ERRORS = new Set([100005, 100018, 100019, 100020]);
const CLIENT_ERRORS = new Set([100001, 100002, 100008, 100009, 100010, 100011, 100043, 100048, 100049]);

/**
 * QQ Connect on the server. Phones: the QQ SDK's access token is re-derived through /oauth2.0/me
 * (client_id must be one of our apps; the app's own openid is never trusted). Web: the code is
 * exchanged at /oauth2.0/token with our website app's key and the same redirect_uri, then /me.
 * Either way /user/get_user_info adds a nickname when it can (its failure costs nothing but the name).
 */
export class QqClient {
  private readonly logger = new Logger(QqClient.name);

  constructor(
    private readonly settings: QqSettings | null,
    private readonly calls: ProviderCalls,
  ) {}

  get configured(): boolean {
    return this.settings !== null && this.settings.appIds.length > 0;
  }

  /** An access token the QQ SDK gave one of our apps. */
  async verifyAccessToken(accessToken: string): Promise<QqIdentity> {
    const settings = this.require();
    checkOpaque(accessToken, 'accessToken', MAX_TOKEN);
    const who = await this.me(accessToken, settings.appIds);
    return { ...who, ...(await this.profile(accessToken, who.appId, who.openId)) };
  }

  /** The web flow's code, with the redirect_uri the browser was sent to /oauth2.0/authorize with. */
  async exchangeCode(code: string, redirectUri: string): Promise<QqIdentity> {
    return this.identifyWebGrant(await this.redeemCode(code, redirectUri));
  }

  /** The web code → QQ's grant (the code is spent at QQ from here on, whatever follows). */
  async redeemCode(code: string, redirectUri: string): Promise<NonNullable<QqIdentity['grant']>> {
    const web = this.webApp();
    checkOpaque(code, 'code', MAX_TOKEN);
    checkRedirectUri(redirectUri);
    return this.calls.run('qq', 'once', (signal) => this.token(web, code, redirectUri, signal));
  }

  /** Who a web grant belongs to (/me, then the profile): safe to ask again with the same grant. */
  async identifyWebGrant(grant: NonNullable<QqIdentity['grant']>): Promise<QqIdentity> {
    const web = this.webApp();
    const who = await this.me(grant.accessToken, [web.appId]);
    return { ...who, ...(await this.profile(grant.accessToken, who.appId, who.openId)), grant };
  }

  private webApp(): { appId: string; appKey: string } {
    const web = this.require().web;
    if (!web) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    return web;
  }

  private async token(
    web: { appId: string; appKey: string },
    code: string,
    redirectUri: string,
    signal: AbortSignal,
  ): Promise<NonNullable<QqIdentity['grant']>> {
    const query = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: web.appId,
      client_secret: web.appKey,
      code,
      redirect_uri: redirectUri,
      fmt: 'json',
    });
    const body = await this.get('token', `/oauth2.0/token?${query}`, signal);
    const accessToken = str(body.json, 'access_token');
    const expiresIn = Number(body.json.expires_in);
    if (!accessToken || !Number.isFinite(expiresIn)) throw this.malformed('token', body.started);
    this.calls.report('qq', 'token', 'ok', body.started);
    return { accessToken, refreshToken: str(body.json, 'refresh_token'), expiresIn };
  }

  private async me(
    accessToken: string,
    allowed: readonly string[],
  ): Promise<Omit<QqIdentity, 'nickname' | 'avatarUrl'>> {
    const query = new URLSearchParams({ access_token: accessToken, unionid: '1', fmt: 'json' });
    return this.calls.run('qq', 'safe', async (signal) => {
      const { json, started } = await this.get('me', `/oauth2.0/me?${query}`, signal);
      const appId = str(json, 'client_id');
      const openId = str(json, 'openid');
      if (!appId || !openId) throw this.malformed('me', started);
      if (!allowed.includes(appId)) {
        // A real token, issued to somebody else's app: never ours to accept.
        this.calls.report('qq', 'me', 'foreign_client', started);
        this.logger.warn(`a QQ token of another app (client_id ${appId}) was refused`);
        throw new ProviderRejectedError('qq', 'foreign client_id');
      }
      const unionId = str(json, 'unionid');
      if (!unionId) {
        this.calls.report('qq', 'me', 'no_unionid', started);
        this.logger.error('QQ /me gave no unionid: the app needs the unionid right (QQ互联 "应用打通")');
        throw new ProviderUnavailableError('qq', 'refused', 'no unionid');
      }
      this.calls.report('qq', 'me', 'ok', started);
      return { appId, openId, unionId };
    });
  }

  // Best effort: the login goes on without a name when QQ will not give one.
  private async profile(
    accessToken: string,
    appId: string,
    openId: string,
  ): Promise<{ nickname: string | null; avatarUrl: string | null }> {
    const query = new URLSearchParams({ access_token: accessToken, oauth_consumer_key: appId, openid: openId });
    try {
      return await this.calls.run('qq', 'safe', async (signal) => {
        const { json, started } = await this.get('userinfo', `/user/get_user_info?${query}`, signal);
        const ret = Number(json.ret);
        if (ret !== 0) {
          this.calls.report('qq', 'userinfo', `ret_${Number.isFinite(ret) ? ret : 'none'}`, started);
          return { nickname: null, avatarUrl: null };
        }
        this.calls.report('qq', 'userinfo', 'ok', started);
        return {
          nickname: str(json, 'nickname'),
          avatarUrl: str(json, 'figureurl_qq_2') ?? str(json, 'figureurl_qq_1'),
        };
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`QQ get_user_info failed (${error.code}); signing in without a nickname`);
      return { nickname: null, avatarUrl: null };
    }
  }

  /** One GET; QQ's errors (HTTP 200 with `error`) become rejected or unavailable. */
  private async get(
    operation: string,
    pathAndQuery: string,
    signal: AbortSignal,
  ): Promise<{ json: Record<string, unknown>; started: number }> {
    const { status, body, started } = await this.calls.fetchJson(
      'qq',
      operation,
      `${this.apiBase()}${pathAndQuery}`,
      { method: 'GET' },
      signal,
    );
    if (status !== 200) {
      this.calls.report('qq', operation, `http_${status}`, started);
      throw new ProviderUnavailableError('qq', status === 429 ? 'throttled' : 'http', String(status));
    }
    if (!body) throw this.malformed(operation, started);
    if (body.error !== undefined && operation !== 'userinfo') {
      const error = Number(body.error);
      this.calls.report('qq', operation, `error_${Number.isFinite(error) ? error : 'unknown'}`, started);
      if (TOKEN_ERRORS.has(error)) throw new ProviderRejectedError('qq', `error ${error}`);
      if (CODE_ERRORS.has(error)) throw new ProviderRejectedError('qq', `error ${error}`, 'code-invalid');
      if (CLIENT_ERRORS.has(error)) {
        this.logger.error(`QQ refused our app (error ${error}): check the QQ app ids, AppKey and callback domain`);
      }
      throw new ProviderUnavailableError('qq', 'refused', String(error));
    }
    return { json: body, started };
  }

  private malformed(operation: string, started: number): ProviderUnavailableError {
    this.calls.report('qq', operation, 'malformed', started);
    return new ProviderUnavailableError('qq', 'malformed', operation);
  }

  private require(): QqSettings {
    if (!this.configured) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    return this.settings!;
  }

  private apiBase(): string {
    return this.settings?.apiBase ?? this.calls.localBase('qq', QQ_FAKE_PATH);
  }
}
