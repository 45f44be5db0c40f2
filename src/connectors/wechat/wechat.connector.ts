import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { WechatAppCredentials, WechatChannelName } from '../../config/app-config';
import { AppConfig } from '../../config/app-config.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import type { GrantRef } from '../../identities/identities.service';
import { WechatApiClient, WechatTokens, WechatUserInfo } from '../../wechat/wechat-api.client';
import { toDomainError } from '../../wechat/wechat-errors';
import { WechatGrantsService } from '../../wechat/wechat-grants.service';
import {
  ConnectorAnswer,
  ConnectorErrors,
  Connector,
  mapOrInternal,
  requireCode,
  VerificationIncomplete,
  VerifyRequest,
} from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';

type OauthChannel = Exclude<WechatChannelName, 'mini_program'>;

/** The three configurations of WeChat's OAuth code: where the code comes from, its scope, its grant. */
const CHANNELS: Record<OauthChannel, { scope: string; page: string | null; refresh: 'auto' | 'off' }> = {
  // Native Android, iOS and HarmonyOS NEXT apps (WeChat Open SDK): the SDK's code.
  app: { scope: 'snsapi_userinfo', page: null, refresh: 'auto' },
  // Pages opened inside WeChat: the code WeChat appended when it redirected the page back.
  official_account: { scope: 'snsapi_userinfo', page: '/connect/oauth2/authorize', refresh: 'auto' },
  // Desktop browsers: the code WeChat appended after the QR scan (website grants are not refreshed).
  website: { scope: 'snsapi_login', page: '/connect/qrconnect', refresh: 'off' },
};

export const WECHAT_ERRORS: ConnectorErrors = {
  codeInvalid: ErrorCode.WECHAT_CODE_INVALID,
  unavailable: ErrorCode.WECHAT_UNAVAILABLE,
  retryable: [ErrorCode.WECHAT_UNAVAILABLE, ErrorCode.WECHAT_RATE_LIMITED],
};

/** A WeChat call's failure as the client sees it; anything unknown stays an internal error. */
export function wechatDomainError(error: unknown): DomainError {
  return mapOrInternal(toDomainError, error);
}

// WeChat's codes are short; anything longer is not one.
export const MAX_WECHAT_CODE_LENGTH = 256;

export interface WechatCodeInput {
  code: string;
}

/** What WeChat said about one code: the user grant, and the profile. */
interface WechatAuthorization {
  channel: OauthChannel;
  appId: string;
  tokens: WechatTokens;
  profile: WechatUserInfo;
}

/**
 * Log in with WeChat's OAuth code, one implementation for the app, official-account and website
 * channels (`/sns/oauth2/access_token`, then `/sns/userinfo`); the app the code is for says which.
 */
@Injectable()
export class WechatConnector extends Connector {
  static readonly id = 'wechat';
  static readonly provider = 'wechat';
  override readonly provider = WechatConnector.provider;
  override readonly errors = WECHAT_ERRORS;
  override readonly usesState = true;
  private readonly openBase: string;

  constructor(
    registry: ConnectorRegistry,
    private readonly client: WechatApiClient,
    private readonly grants: WechatGrantsService,
    config: AppConfig,
  ) {
    super(WechatConnector.id, registry);
    this.openBase = config.get('wechat').openBase;
  }

  /** The caller's app if named, else the first app of the native app channel. */
  override appFor(named: string | null): string | null {
    const app = named ? this.client.app(named) : this.client.firstAppOf('app');
    return app && app.channel !== 'mini_program' ? app.appId : null;
  }

  override codeOf(input: WechatCodeInput): string {
    return requireCode(input.code, 'code', MAX_WECHAT_CODE_LENGTH);
  }

  /** The configured OAuth app, or BAD_USER_INPUT (mini programs have their own mutation). */
  oauthApp(appId: string): WechatAppCredentials & { channel: OauthChannel } {
    const app = this.client.app(appId);
    if (!app || app.channel === 'mini_program') throw DomainError.badInput('appId', 'not a configured WeChat app');
    return app as WechatAppCredentials & { channel: OauthChannel };
  }

  scopeOf(channel: OauthChannel): string {
    return CHANNELS[channel].scope;
  }

  /** Web channels only: where WeChat may send the browser back. */
  override redirectUrisOf(appId: string): readonly string[] | null {
    const app = this.oauthApp(appId);
    return CHANNELS[app.channel].page ? app.redirectUris : null;
  }

  override authorizeUrl(appId: string, redirectUri: string, state: string): string {
    const { channel } = this.oauthApp(appId);
    const query = new URLSearchParams({
      appid: appId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: CHANNELS[channel].scope,
      state,
    });
    return `${this.openBase}${CHANNELS[channel].page}?${query.toString()}#wechat_redirect`;
  }

  protected override async verify({
    input,
    appId,
    resumed,
  }: VerifyRequest<WechatCodeInput>): Promise<WechatAuthorization> {
    const { channel } = this.oauthApp(appId);
    const tokens = (resumed as WechatTokens | undefined) ?? (await this.client.exchangeCode(appId, input.code));
    // A snapshot-page visitor's openid and unionid are virtual: no account may be made or touched.
    if (tokens.snapshot) throw new DomainError(ErrorCode.WECHAT_SNAPSHOT_USER);
    try {
      return { channel, appId, tokens, profile: await this.client.userInfo(appId, tokens.accessToken, tokens.openid) };
    } catch (error) {
      throw new VerificationIncomplete(tokens, error);
    }
  }

  validate({ channel, appId, tokens, profile }: WechatAuthorization): ConnectorAnswer {
    return {
      verified: {
        provider: 'wechat',
        appId,
        subject: tokens.openid,
        unionid: tokens.unionid ?? profile.unionid ?? null,
        channel,
        // Official-account user info carries no nickname or avatar for new authorizations: never rely on them.
        profile: {
          nickname: profile.nickname || null,
          avatarUrl: profile.avatarUrl || null,
          language: profile.language,
        },
      },
      grant: tokens,
    };
  }

  override toDomainError(error: unknown): DomainError {
    return wechatDomainError(error);
  }

  override keepGrant(
    manager: EntityManager,
    identityId: string,
    answer: ConnectorAnswer,
    known: unknown,
  ): Promise<void> {
    const { refresh } = CHANNELS[answer.verified.channel as OauthChannel];
    return this.grants.storeGrant(manager, identityId, answer.grant as WechatTokens, true, refresh, known as GrantRef);
  }
}
