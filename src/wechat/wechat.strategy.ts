import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as OAuth2Strategy, StateStore } from 'passport-oauth2';
import { CodeExchangesService } from './code-exchanges.service';
import { StateClaim } from './login-state.store';
import { WechatApiClient, WechatTokens, WechatUserInfo } from './wechat-api.client';

/** What the strategy needs to know about the request it authenticates. */
export interface WechatAuthContext extends StateClaim {
  /** Set when an earlier, failed exchange of this code is being tried again: no new claim. */
  reclaimedExchangeId?: string;
  /** Set by the state store once the code is claimed. */
  exchangeId?: string;
}

export type WechatAuthRequest = Pick<Request, 'headers'> & {
  query: { code: string; state?: string };
  body: Record<string, never>;
  wechat: WechatAuthContext;
};

export interface WechatAuthorization {
  appId: string;
  exchangeId: string;
  tokens: WechatTokens;
  profile: WechatUserInfo;
}

export type StateFailure = { reason: 'duplicate' | 'state' };

/**
 * The `wechat` Passport strategy, on passport-oauth2: the one place where a code becomes tokens and
 * a profile. The token exchange and `userProfile` go through WechatApiClient (WeChat's answers are
 * not standard OAuth2: HTTP 200 errors, openid beside the token), and the state store claims the
 * code and consumes the state in one transaction (CodeExchangesService, LoginStateStore).
 */
@Injectable()
export class WechatStrategy extends PassportStrategy(OAuth2Strategy, 'wechat', 6) {
  // Access token → the exchange it came from, until userProfile has used it (same request).
  private readonly exchanged = new Map<string, { appId: string; openid: string }>();

  constructor(
    private readonly client: WechatApiClient,
    exchanges: CodeExchangesService,
  ) {
    const store: StateStore = {
      store: (_req: unknown, ...rest: unknown[]) => {
        const callback = rest[rest.length - 1] as (err: Error) => void;
        callback(new Error('states are issued by startWechatLogin'));
      },
      verify: (req: unknown, state: string, ...rest: unknown[]) => {
        const callback = rest[rest.length - 1] as (err: Error | null, ok: boolean, info?: StateFailure) => void;
        const authReq = req as WechatAuthRequest;
        const context = authReq.wechat;
        if (context.reclaimedExchangeId) {
          context.exchangeId = context.reclaimedExchangeId;
          callback(null, true);
          return;
        }
        exchanges
          .claim(exchanges.hash(authReq.query.code), state, context)
          .then((result) => {
            if (result.kind === 'claimed') {
              context.exchangeId = result.id;
              callback(null, true);
            } else {
              callback(null, false, { reason: result.kind === 'duplicate' ? 'duplicate' : 'state' });
            }
          })
          .catch((error: Error) => callback(error, false));
      },
    } as StateStore;

    super({
      // Apps authorize inside the WeChat SDK, so no redirect ever uses these two URLs.
      authorizationURL: 'https://open.weixin.qq.com/connect/oauth2/authorize',
      tokenURL: 'https://api.weixin.qq.com/sns/oauth2/access_token',
      clientID: 'chosen-per-request',
      clientSecret: 'held-by-WechatApiClient',
      passReqToCallback: true,
      store,
    });

    const oauth2 = (this as unknown as { _oauth2: { getOAuthAccessToken: unknown } })._oauth2;
    oauth2.getOAuthAccessToken = (
      code: string,
      params: { appid: string },
      callback: (err: unknown, accessToken?: string, refreshToken?: string, results?: WechatTokens) => void,
    ) => {
      this.client.exchangeCode(params.appid, code).then(
        (tokens) => {
          this.exchanged.set(tokens.accessToken, { appId: params.appid, openid: tokens.openid });
          callback(null, tokens.accessToken, tokens.refreshToken, tokens);
        },
        (error: unknown) => callback(error),
      );
    };
  }

  // passport-oauth2 hands these params to getOAuthAccessToken: which app's code this is.
  override tokenParams(options: { appId?: string }): object {
    return { appid: options.appId };
  }

  override userProfile(accessToken: string, done: (err?: unknown, profile?: WechatUserInfo) => void): void {
    const exchanged = this.exchanged.get(accessToken);
    this.exchanged.delete(accessToken);
    if (!exchanged) {
      done(new Error('userProfile without a code exchange'));
      return;
    }
    this.client.userInfo(exchanged.appId, accessToken, exchanged.openid).then(
      (profile) => done(null, profile),
      (error: unknown) => done(error),
    );
  }

  // passport-oauth2 wraps token errors in InternalOAuthError; ours carry the errcode and pass as they are.
  _createOAuthError(_message: string, err: unknown): unknown {
    return err;
  }

  validate(
    req: WechatAuthRequest,
    _accessToken: string,
    _refreshToken: string,
    tokens: WechatTokens,
    profile: WechatUserInfo,
  ): WechatAuthorization {
    return { appId: req.wechat.appId, exchangeId: req.wechat.exchangeId!, tokens, profile };
  }
}
