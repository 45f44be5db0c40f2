import type { Request, Response } from 'express';
import passport from 'passport';
import type { WechatAppCredentials, WechatChannelName } from '../../config/app-config';
import type { VerifiedIdentity } from '../../identities/verified-identity';
import type { WechatTokens } from '../wechat-api.client';

/** What a channel strategy is asked to verify: one code of one configured app. */
export interface ChannelAuthOptions {
  app: WechatAppCredentials;
  code: string;
  /** Tokens an earlier try of this same code already got (its profile fetch failed): no new exchange. */
  exchanged?: WechatTokens | null;
}

/** A verified WeChat identity, plus the user grant when the channel has one. */
export interface ChannelAuthResult {
  verified: VerifiedIdentity;
  grant: WechatTokens | null;
}

/** The code was exchanged but the profile could not be fetched: the tokens are kept for a retry. */
export class ProfileFetchFailed extends Error {
  constructor(
    readonly tokens: WechatTokens,
    override readonly cause: unknown,
  ) {
    super('WeChat profile fetch failed after a successful code exchange');
    this.name = 'ProfileFetchFailed';
  }
}

type Verify = (result: ChannelAuthResult, done: (error: unknown, user?: ChannelAuthResult | false) => void) => void;

/**
 * The base of every WeChat channel's Passport strategy (`wechat-app`, `wechat-mini-program`, ...),
 * on Passport's own strategy contract: `authenticate` verifies the code through the channel's WeChat
 * calls, then hands the result to the verify callback (`validate`) and reports success or error.
 */
export class WechatChannelStrategy {
  declare readonly channel: WechatChannelName;
  // Set by Passport on the per-request instance.
  declare success: (user: unknown, info?: unknown) => void;
  declare error: (error: unknown) => void;

  constructor(private readonly verifyCallback: Verify) {}

  /** The channel's WeChat calls: code → verified identity (and grant). Each channel writes its own. */
  protected verifyCode(_options: ChannelAuthOptions): Promise<ChannelAuthResult> {
    return Promise.reject(new Error(`${this.constructor.name} has no verifyCode`));
  }

  authenticate(_req: Request, options: ChannelAuthOptions): void {
    this.verifyCode(options).then(
      (result) =>
        this.verifyCallback(result, (error, user) =>
          error ? this.error(error) : this.success(user as ChannelAuthResult),
        ),
      (error: unknown) => this.error(error),
    );
  }
}

/** Runs a channel's Passport strategy on the GraphQL request and resolves with what it verified. */
export function authenticateWith(
  strategy: string,
  req: Request,
  res: Response,
  options: ChannelAuthOptions,
): Promise<ChannelAuthResult> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(
      strategy,
      { session: false, ...options } as passport.AuthenticateOptions,
      (error: unknown, result: ChannelAuthResult | false) => {
        if (error) reject(error);
        else if (result) resolve(result);
        else reject(new Error(`${strategy} verified nothing`));
      },
    ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
    middleware(req, res, (error) => reject(error ?? new Error(`${strategy} did not finish`)));
  });
}
