import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { WechatApiClient } from '../wechat-api.client';
import { verifyOauthCode } from './oauth-code';
import { ChannelAuthOptions, ChannelAuthResult, WechatChannelStrategy } from './wechat-channel.strategy';

/** Desktop browsers: the code WeChat appended after the QR scan. */
@Injectable()
export class WechatWebsiteStrategy extends PassportStrategy(WechatChannelStrategy, 'wechat-website') {
  override readonly channel = 'website' as const;

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
