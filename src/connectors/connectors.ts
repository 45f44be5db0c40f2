import type { IdentityProviderName } from '../identities/verified-identity';
import { AppleConnector } from './apple/apple.connector';
import { HuaweiConnector } from './huawei/huawei.connector';
import { WechatMiniProgramConnector } from './wechat/mini-program.connector';
import { WechatConnector } from './wechat/wechat.connector';

/**
 * Every way to log in with a provider, one connector each; each registers itself with this app's
 * Passport (ConnectorRegistry) when Nest builds it. Adding a provider: its folder, one line here.
 */
export const CONNECTORS = [
  WechatConnector,
  WechatMiniProgramConnector,
  AppleConnector,
  HuaweiConnector,
] as const satisfies readonly { id: string; provider: IdentityProviderName }[];

export type ConnectorId = (typeof CONNECTORS)[number]['id'];
