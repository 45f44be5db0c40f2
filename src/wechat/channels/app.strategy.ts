import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { WechatApiClient } from '../wechat-api.client';
import { verifyOauthCode } from './oauth-code';
import { ChannelAuthOptions, ChannelAuthResult, WechatChannelStrategy } from './wechat-channel.strategy';

/** Native Android, iOS and HarmonyOS NEXT apps (WeChat Open SDK): the SDK's code. */
@Injectable()
export class WechatAppStrategy extends PassportStrategy(WechatChannelStrategy, 'wechat-app') {
  override readonly channel = 'app' as const;

  constructor(private readonly client: WechatApiClient) {
    super();
  }

  protected override verifyCode(options: ChannelAuthOptions): Promise<ChannelAuthResult> {
    return verifyOauthCode(this.client, this.channel, options);
  }

  validate(result: ChannelAuthResult): ChannelAuthResult {
    return result;
  }
}
