import type { IdentityProviderName } from '../identities/verified-identity';
import { AlipayConnector } from './alipay/alipay.connector';
import { AlipayResolver } from './alipay/alipay.resolver';
import { AppleConnector } from './apple/apple.connector';
import { AppleResolver } from './apple/apple.resolver';
import { CarrierConnector } from './carrier/carrier.connector';
import { CarrierResolver } from './carrier/carrier.resolver';
import { HuaweiConnector } from './huawei/huawei.connector';
import { HuaweiResolver } from './huawei/huawei.resolver';
import { QqConnector } from './qq/qq.connector';
import { QqResolver } from './qq/qq.resolver';
import { WechatMiniProgramConnector } from './wechat/mini-program.connector';
import { WechatConnector } from './wechat/wechat.connector';
import { WechatLoginResolver } from './wechat/wechat-login.resolver';

/**
 * Every way to log in with a provider, one connector each; each registers itself with this app's
 * Passport (ConnectorRegistry) when Nest builds it. Adding a provider: its folder, its lines here.
 */
export const CONNECTORS = [
  WechatConnector,
  WechatMiniProgramConnector,
  AppleConnector,
  HuaweiConnector,
  QqConnector,
  AlipayConnector,
  // A phone, not an identity: no provider.
  CarrierConnector,
] as const satisfies readonly { id: string; provider?: IdentityProviderName }[];

/** Their mutations (LoginMutations, or WeChat's own). */
export const CONNECTOR_RESOLVERS = [
  WechatLoginResolver,
  AppleResolver,
  HuaweiResolver,
  QqResolver,
  AlipayResolver,
  CarrierResolver,
];
