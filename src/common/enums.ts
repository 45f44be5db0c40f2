import { registerEnumType } from '@nestjs/graphql';
import { IDENTITY_PROVIDERS, IdentityProviderName } from './identity-providers';

export enum Platform {
  ANDROID = 'ANDROID',
  IOS = 'IOS',
  HARMONYOS = 'HARMONYOS',
  WEB = 'WEB',
  MINI_PROGRAM = 'MINI_PROGRAM',
}

type ProviderMethod = Uppercase<IdentityProviderName>;
const enumOf = <V extends string>(values: readonly V[]) =>
  Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as { readonly [K in V]: K };
const providerMethods = IDENTITY_PROVIDERS.map((p) => p.toUpperCase() as ProviderMethod);

/** How a session began: each identity provider, a phone (SMS), or the carrier's one-tap. */
export const LoginMethod = enumOf<ProviderMethod | 'PHONE' | 'CARRIER'>([
  'WECHAT',
  'PHONE',
  ...providerMethods.filter((m) => m !== 'WECHAT'),
  'CARRIER',
]);
export type LoginMethod = keyof typeof LoginMethod;

export enum WechatChannel {
  APP = 'APP',
  MINI_PROGRAM = 'MINI_PROGRAM',
  OFFICIAL_ACCOUNT = 'OFFICIAL_ACCOUNT',
  WEBSITE = 'WEBSITE',
}

export const IdentityProvider = enumOf<ProviderMethod>(providerMethods);
export type IdentityProvider = ProviderMethod;

registerEnumType(WechatChannel, { name: 'WechatChannel' });
registerEnumType(IdentityProvider, { name: 'IdentityProvider' });

registerEnumType(Platform, { name: 'Platform' });
registerEnumType(LoginMethod, { name: 'LoginMethod' });
