import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { WechatApiClient } from '../wechat-api.client';
import { ChannelAuthOptions, ChannelAuthResult, WechatChannelStrategy } from './wechat-channel.strategy';

/**
 * Mini programs: `wx.login()`'s js code → `/sns/jscode2session`. No user grant; the session_key is
 * kept encrypted on the identity (replaced at each login).
 */
@Injectable()
export class WechatMiniProgramStrategy extends PassportStrategy(WechatChannelStrategy, 'wechat-mini-program') {
  override readonly channel = 'mini_program' as const;

  constructor(private readonly client: WechatApiClient) {
    super();
  }

  protected override async verifyCode({ app, code }: ChannelAuthOptions): Promise<ChannelAuthResult> {
    const session = await this.client.miniProgramSession(app.appId, code);
    return {
      verified: {
        provider: 'wechat',
        appId: app.appId,
        subject: session.openid,
        unionid: session.unionid,
        channel: this.channel,
        profile: {},
        secret: session.sessionKey,
      },
      grant: null,
    };
  }

  validate(result: ChannelAuthResult): ChannelAuthResult {
    return result;
  }
}
