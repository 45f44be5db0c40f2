import type { WechatChannelName } from '../../config/app-config';
import { WechatAppStrategy } from './app.strategy';
import { WechatMiniProgramStrategy } from './mini-program.strategy';
import { WechatOfficialAccountStrategy } from './official-account.strategy';
import { WechatWebsiteStrategy } from './website.strategy';

/** Each channel's Passport strategy name. */
export const STRATEGY_OF: Record<WechatChannelName, string> = {
  app: 'wechat-app',
  official_account: 'wechat-official-account',
  website: 'wechat-website',
  mini_program: 'wechat-mini-program',
};

export const CHANNEL_STRATEGIES = [
  WechatAppStrategy,
  WechatOfficialAccountStrategy,
  WechatWebsiteStrategy,
  WechatMiniProgramStrategy,
];
