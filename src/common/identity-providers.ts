/**
 * The providers whose identities users hold, each with its connectors (src/connectors/connectors.ts).
 * The `IdentityProvider` and `LoginMethod` GraphQL enums are built from this list.
 */
export const IDENTITY_PROVIDERS = ['wechat', 'apple', 'huawei', 'qq', 'alipay'] as const;
export type IdentityProviderName = (typeof IDENTITY_PROVIDERS)[number];
