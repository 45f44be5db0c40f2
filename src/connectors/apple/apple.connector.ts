import { Injectable } from '@nestjs/common';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { IdentitiesService } from '../../identities/identities.service';
import type { RevocableIdentity } from '../../identities/identity-revocations';
import { AppleClient } from '../../providers/apple/apple.client';
import { ConnectorAnswer, Connector, requireCode, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';

export interface AppleInput {
  identityToken: string;
  authorizationCode: string;
  nonce?: string | null;
  fullName?: string | null;
}

type AppleAuthorization = Awaited<ReturnType<AppleClient['verifyIdentityToken']>> & {
  refreshToken: string;
  fullName: string | null;
};

/**
 * Sign in with Apple: the identity token is verified (JWKS, issuer, audience, expiry, nonce) before
 * anything else, then the code is exchanged for Apple's refresh token, kept encrypted so that account
 * deletion and unlinking can revoke it (Apple's rule).
 */
@Injectable()
export class AppleConnector extends Connector {
  static readonly id = 'apple';
  static readonly provider = 'apple';
  override readonly provider = AppleConnector.provider;

  constructor(
    registry: ConnectorRegistry,
    private readonly apple: AppleClient,
    private readonly identities: IdentitiesService,
  ) {
    super(AppleConnector.id, registry);
  }

  // Apple's codes are for whichever of our bundle ids the identity token names: one record space.
  override appFor(): string | null {
    return this.apple.configured ? AppleConnector.id : null;
  }

  override codeOf(input: AppleInput): string {
    return requireCode(input.authorizationCode, 'authorizationCode', 1024);
  }

  protected override async verify({ input }: VerifyRequest<AppleInput>): Promise<AppleAuthorization> {
    const claims = await this.apple.verifyIdentityToken(input.identityToken, input.nonce ?? null);
    const tokens = await this.apple.exchangeCode(claims.bundleId, input.authorizationCode);
    // The code must belong to the same Apple account as the identity token.
    if (tokens.sub !== claims.sub) throw new DomainError(ErrorCode.PROVIDER_TOKEN_INVALID);
    return { ...claims, refreshToken: tokens.refreshToken, fullName: input.fullName?.trim() || null };
  }

  validate(apple: AppleAuthorization): ConnectorAnswer {
    return {
      verified: {
        provider: 'apple',
        appId: apple.bundleId,
        subject: apple.sub,
        unionid: null,
        channel: null,
        // Private-relay emails are kept as given; the name comes only with the first authorization.
        profile: { email: apple.email, nickname: apple.fullName },
        secret: apple.refreshToken,
        authenticatedAt: apple.authenticatedAt,
      },
      grant: null,
    };
  }

  override async revoke(identity: RevocableIdentity): Promise<void> {
    const refreshToken = this.identities.openSecret(identity);
    if (refreshToken) await this.apple.revoke(identity.appId, refreshToken);
  }
}
