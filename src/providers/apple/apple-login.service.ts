import { AuditService } from '../../audit/audit.service';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { RequestMeta } from '../../common/request-meta';
import { Database } from '../../database/database.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { AccountLinkingService, DeviceInfo, SignInOutcome } from '../../identities/account-linking.service';
import { IdentitiesService } from '../../identities/identities.service';
import { IdentityRevocations } from '../../identities/identity-revocations';
import type { VerifiedIdentity } from '../../identities/verified-identity';
import { UserEntity } from '../../users/user.entity';
import type { AppleLoginInput } from '../dto/provider-login.inputs';
import { AppleClient } from './apple.client';

/**
 * Sign in with Apple: the identity token is verified (JWKS, issuer, audience, expiry, nonce) before
 * anything else, then the code is exchanged for Apple's refresh token, kept encrypted so that account
 * deletion and unlinking can revoke it (Apple's rule). Then the one account-linking path.
 */
@Injectable()
export class AppleLoginService implements OnModuleInit {
  constructor(
    private readonly apple: AppleClient,
    private readonly database: Database,
    private readonly linking: AccountLinkingService,
    private readonly identities: IdentitiesService,
    private readonly revocations: IdentityRevocations,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.revocations.register('apple', async (identity) => {
      const refreshToken = this.identities.openSecret(identity);
      if (refreshToken) await this.apple.revoke(identity.appId, refreshToken);
    });
  }

  async login(input: AppleLoginInput, device: DeviceInfo, meta: RequestMeta): Promise<SignInOutcome> {
    return this.audit.failuresOf('APPLE', meta, async () => {
      const verified = await this.verify(input);
      return this.database.transaction((manager) => this.linking.signIn(manager, verified, device, meta));
    });
  }

  async link(input: AppleLoginInput, userId: string, meta: RequestMeta): Promise<UserEntity> {
    const verified = await this.verify(input);
    const { user } = await this.database.transaction((manager) => this.linking.link(manager, verified, userId, meta));
    return user;
  }

  private async verify(input: AppleLoginInput): Promise<VerifiedIdentity> {
    if (!this.apple.configured) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    const claims = await this.apple.verifyIdentityToken(input.identityToken, input.nonce ?? null);
    const tokens = await this.apple.exchangeCode(claims.bundleId, input.authorizationCode);
    // The code must belong to the same Apple account as the identity token.
    if (tokens.sub !== claims.sub) throw new DomainError(ErrorCode.PROVIDER_TOKEN_INVALID);
    return {
      provider: 'apple',
      appId: claims.bundleId,
      subject: claims.sub,
      unionid: null,
      channel: null,
      // Private-relay emails are kept as given; the name comes only with the first authorization.
      profile: { email: claims.email, nickname: input.fullName?.trim() || null },
      secret: tokens.refreshToken,
    };
  }
}
