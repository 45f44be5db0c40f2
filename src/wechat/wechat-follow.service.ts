import { Injectable } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AppTokensService } from './app-tokens.service';
import { FollowerInfo, FollowQrCode, WechatApiClient } from './wechat-api.client';
import { toDomainError, WechatApiError } from './wechat-errors';

const TOKEN_REFUSED = new Set([40001, 42001]);
// WeChat's limits for a string scene and a temporary code's life.
const MAX_SCENE_LENGTH = 64;
const MAX_EXPIRE_SECONDS = 2_592_000;

/**
 * Follow login's WeChat calls, with the official account's app-level token (AppTokensService): a
 * temporary parametric QR code with our scene, and a follower's unionid. Failures leave as the
 * contract's WECHAT_* codes.
 */
@Injectable()
export class WechatFollowService {
  constructor(
    private readonly client: WechatApiClient,
    private readonly appTokens: AppTokensService,
  ) {}

  /** The configured verified service account that follow login uses, or null (then it is not offered). */
  followAppId(): string | null {
    return this.client.appIds.find((id) => this.client.app(id)?.verifiedServiceAccount === true) ?? null;
  }

  async createQrCode(appId: string, scene: string, expireSeconds: number): Promise<FollowQrCode> {
    const app = this.client.app(appId);
    if (!app || app.channel !== 'official_account' || !app.verifiedServiceAccount) {
      throw new DomainError(ErrorCode.WECHAT_CONFIG_ERROR);
    }
    if (!/^[\x21-\x7e]+$/.test(scene) || scene.length > MAX_SCENE_LENGTH)
      throw DomainError.badInput('scene', 'not a scene');
    if (!Number.isInteger(expireSeconds) || expireSeconds < 1 || expireSeconds > MAX_EXPIRE_SECONDS) {
      throw DomainError.badInput('expireSeconds', 'from 1 to 2592000');
    }
    return this.withAppToken(appId, (token) => this.client.createQrCode(appId, token, scene, expireSeconds));
  }

  followerInfo(appId: string, openid: string): Promise<FollowerInfo> {
    return this.withAppToken(appId, (token) => this.client.followerInfo(appId, token, openid));
  }

  /** The call with the app's token; a token WeChat refuses is fetched again, once. */
  private async withAppToken<T>(appId: string, call: (token: string) => Promise<T>): Promise<T> {
    try {
      const token = await this.appTokens.tokenFor(appId);
      try {
        return await call(token);
      } catch (error) {
        if (!(error instanceof WechatApiError) || !TOKEN_REFUSED.has(error.errcode)) throw error;
        return await call(await this.appTokens.tokenFor(appId, token));
      }
    } catch (error) {
      if (error instanceof WechatApiError && TOKEN_REFUSED.has(error.errcode)) {
        throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
      }
      throw toDomainError(error);
    }
  }
}
