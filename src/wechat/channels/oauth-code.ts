import type { WechatChannelName } from '../../config/app-config';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { WechatApiClient } from '../wechat-api.client';
import { ChannelAuthOptions, ChannelAuthResult, ProfileFetchFailed } from './wechat-channel.strategy';

/**
 * The OAuth code channels (app, official account, website) make the same two calls with their own
 * app: `/sns/oauth2/access_token`, then `/sns/userinfo`. Only where the code comes from differs.
 */
export async function verifyOauthCode(
  client: WechatApiClient,
  channel: WechatChannelName,
  { app, code, exchanged }: ChannelAuthOptions,
): Promise<ChannelAuthResult> {
  const tokens = exchanged ?? (await client.exchangeCode(app.appId, code));
  // A snapshot-page visitor's openid and unionid are virtual: no account may be made or touched.
  if (tokens.snapshot) throw new DomainError(ErrorCode.WECHAT_SNAPSHOT_USER);
  let profile;
  try {
    profile = await client.userInfo(app.appId, tokens.accessToken, tokens.openid);
  } catch (error) {
    throw new ProfileFetchFailed(tokens, error);
  }
  return {
    verified: {
      provider: 'wechat',
      appId: app.appId,
      subject: tokens.openid,
      unionid: tokens.unionid ?? profile.unionid ?? null,
      channel,
      // Official-account user info carries no nickname or avatar for new authorizations: never rely on them.
      profile: { nickname: profile.nickname || null, avatarUrl: profile.avatarUrl || null, language: profile.language },
    },
    grant: tokens,
  };
}
