import { registerEnumType } from '@nestjs/graphql';

export enum Platform {
  ANDROID = 'ANDROID',
  IOS = 'IOS',
  HARMONYOS = 'HARMONYOS',
  WEB = 'WEB',
  MINI_PROGRAM = 'MINI_PROGRAM',
}

export enum LoginMethod {
  WECHAT = 'WECHAT',
  PHONE = 'PHONE',
  APPLE = 'APPLE',
  HUAWEI = 'HUAWEI',
  CARRIER = 'CARRIER',
}

export enum WechatChannel {
  APP = 'APP',
  MINI_PROGRAM = 'MINI_PROGRAM',
  OFFICIAL_ACCOUNT = 'OFFICIAL_ACCOUNT',
  WEBSITE = 'WEBSITE',
}

export enum IdentityProvider {
  WECHAT = 'WECHAT',
  APPLE = 'APPLE',
  HUAWEI = 'HUAWEI',
}

registerEnumType(WechatChannel, { name: 'WechatChannel' });
registerEnumType(IdentityProvider, { name: 'IdentityProvider' });

registerEnumType(Platform, { name: 'Platform' });
registerEnumType(LoginMethod, { name: 'LoginMethod' });
