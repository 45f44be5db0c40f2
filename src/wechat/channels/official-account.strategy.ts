import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { WechatApiClient } from '../wechat-api.client';
import { verifyOauthCode } from './oauth-code';
import { ChannelAuthOptions, ChannelAuthResult, WechatChannelStrategy } from './wechat-channel.strategy';

/** Pages opened inside WeChat: the code WeChat appended when it redirected the page back. */
@Injectable()
export class WechatOfficialAccountStrategy extends PassportStrategy(WechatChannelStrategy, 'wechat-official-account') {
  override readonly channel = 'official_account' as const;

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
