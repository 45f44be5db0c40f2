import type { WechatChannelName } from '../config/app-config';

export type { WechatChannelName };
import type { IdentityProviderName } from '../common/identity-providers';

export type { IdentityProviderName };

/**
 * What a provider hands the account-linking path once it has verified what the client brought:
 * one account at one provider. Providers never create users or sessions themselves.
 */
export interface VerifiedIdentity {
  provider: IdentityProviderName;
  /** WeChat AppID, Apple bundle id, Huawei client id. */
  appId: string;
  /** WeChat openid, Apple `sub`, Huawei openID. */
  subject: string;
  /** The provider's cross-app person id (WeChat unionid, Huawei UnionID), when it gave one. */
  unionid: string | null;
  channel: WechatChannelName | null;
  profile: { nickname?: string | null; avatarUrl?: string | null; email?: string | null; language?: string | null };
  /**
   * A phone number the provider verified at some time (Huawei's phone scope), E.164: it makes a new
   * user of a free number; another user's number still needs proof now.
   */
  verifiedPhone?: string | null;
  /** A credential to keep encrypted on the identity (mini-program session_key, Apple refresh token). */
  secret?: string | null;
  /** When the person last proved themself at the provider, when it says (Apple's `auth_time`). */
  authenticatedAt?: Date | null;
}

/** The session method recorded for a provider's logins. */
export function loginMethodOf(provider: IdentityProviderName): Uppercase<IdentityProviderName> {
  return provider.toUpperCase() as Uppercase<IdentityProviderName>;
}
