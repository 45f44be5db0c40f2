import { Injectable } from '@nestjs/common';
import { Platform } from '../../common/enums';
import type { QqConfig } from '../../config/areas/qq.config';
import { AppConfig } from '../../config/app-config.service';
import { allowedRedirectUri } from '../../config/redirect-uris';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { ProviderCalls } from '../../providers/provider-calls';
import { QQ_FAKE_PATH, QqClient, QqIdentity } from '../../providers/qq/qq.client';
import { ConnectorAnswer, Connector, requireCode, VerificationIncomplete, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';
import { qqClientOf } from './qq-client.factory';

export interface QqInput {
  accessToken?: string | null;
  code?: string | null;
  state?: string | null;
  redirectUri?: string | null;
}

const PHONES = [Platform.ANDROID, Platform.IOS, Platform.HARMONYOS] as const;

type QqGrant = NonNullable<QqIdentity['grant']>;

/**
 * QQ Connect. Phones: the QQ SDK's access token, re-derived through /oauth2.0/me every time (a token
 * is not single-use: no code record; the app's openid is never trusted). Web: startProviderLogin(QQ)
 * issues the state and QQ's page; the code comes back with that state (the login service's code
 * record, replays and state binding). Keyed on QQ's unionid; the subject is the openid of each app.
 */
@Injectable()
export class QqConnector extends Connector {
  static readonly id = 'qq';
  static readonly provider = 'qq';
  override readonly provider = QqConnector.provider;
  override readonly usesState = true;
  override readonly loginPlatforms: readonly Platform[];
  private readonly settings: QqConfig | null;
  private readonly qq: QqClient;

  constructor(
    registry: ConnectorRegistry,
    config: AppConfig,
    private readonly calls: ProviderCalls,
  ) {
    super(QqConnector.id, registry);
    this.settings = config.get('providers').qq;
    this.qq = qqClientOf(this.settings, calls);
    // WEB: the website app's redirect works in any browser; the login screen cannot tell a desktop one apart.
    this.loginPlatforms = [
      ...(this.settings?.appIds.length ? PHONES : []),
      ...(this.settings?.web ? [Platform.WEB] : []),
    ];
  }

  /** Any of our QQ apps (a code's state names the web app; a token's app comes from /me); null: none. */
  override appFor(named: string | null): string | null {
    const settings = this.settings;
    if (!settings || !this.qq.configured) return null;
    if (named === null) return settings.web?.appId ?? settings.appIds[0] ?? null;
    return settings.appIds.includes(named) || settings.web?.appId === named ? named : null;
  }

  /**
   * A web code (its record, its state) or null for an SDK token. Everything is checked before the code
   * is claimed: a bad request spends neither the code nor the state.
   */
  override codeOf(input: QqInput): string | null {
    const hasToken = input.accessToken != null;
    if (hasToken === (input.code != null)) {
      throw DomainError.badInput('accessToken', 'send accessToken (QQ SDK) or code with state (web), one of them');
    }
    if (hasToken) {
      if (input.state != null) throw DomainError.badInput('state', 'comes only with a code');
      return null;
    }
    const code = requireCode(input.code, 'code', 512);
    // A web code without the state we issued could be anyone's (login CSRF): never redeemed.
    if (!input.state) throw new DomainError(ErrorCode.STATE_INVALID);
    this.redirectUriOf(input);
    return code;
  }

  override webApp(): string | null {
    return this.settings?.web?.appId ?? null;
  }

  override redirectUrisOf(appId: string): readonly string[] | null {
    const web = this.settings?.web;
    return web && web.appId === appId ? web.redirectUris : null;
  }

  override authorizeUrl(appId: string, redirectUri: string, state: string): string {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: appId,
      redirect_uri: redirectUri,
      state,
      scope: 'get_user_info',
    });
    const base = this.settings?.apiBase ?? this.calls.localBase('qq', QQ_FAKE_PATH);
    return `${base}/oauth2.0/authorize?${query}`;
  }

  /**
   * A web code is spent at QQ by its redemption: when /me fails after it, QQ's grant is kept on the
   * code's record (VerificationIncomplete) and the same device's retry resumes from it.
   */
  protected override async verify({ input, resumed }: VerifyRequest<QqInput>): Promise<QqIdentity> {
    if (input.accessToken != null) return this.qq.verifyAccessToken(input.accessToken);
    const grant =
      (resumed as QqGrant | null | undefined) ?? (await this.qq.redeemCode(input.code!, this.redirectUriOf(input)));
    try {
      return await this.qq.identifyWebGrant(grant);
    } catch (error) {
      throw new VerificationIncomplete(grant, error);
    }
  }

  validate(qq: QqIdentity): ConnectorAnswer {
    return {
      verified: {
        provider: 'qq',
        appId: qq.appId,
        subject: qq.openId,
        unionid: qq.unionId,
        channel: null,
        profile: { nickname: qq.nickname, avatarUrl: qq.avatarUrl },
      },
      // QQ's tokens are used for the login only; nothing later calls QQ on the user's behalf.
      grant: null,
    };
  }

  /** The redirect URI the code was issued for, normalised as at startProviderLogin; it must be on the list. */
  private redirectUriOf(input: QqInput): string {
    const web = this.settings?.web;
    if (!web) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED, 'No QQ web login is configured.');
    if (!input.redirectUri)
      throw DomainError.badInput('redirectUri', 'required with a code: the one the login started with');
    const allowed = allowedRedirectUri(input.redirectUri, web.redirectUris);
    if (!allowed) throw new DomainError(ErrorCode.REDIRECT_URI_NOT_ALLOWED);
    return allowed;
  }
}
