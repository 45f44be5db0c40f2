import { registerEnumType } from '@nestjs/graphql';

export enum Platform {
  ANDROID = 'ANDROID',
  IOS = 'IOS',
}

export enum LoginMethod {
  WECHAT = 'WECHAT',
  PHONE = 'PHONE',
}

registerEnumType(Platform, { name: 'Platform' });
registerEnumType(LoginMethod, { name: 'LoginMethod' });
