import { Injectable, Logger } from '@nestjs/common';
import type { IdentityEntity } from './identity.entity';
import type { IdentityProviderName } from './verified-identity';

/** What a provider does when one of its identities is removed (Apple: revoke its refresh token). */
export type IdentityRevoker = (identity: IdentityEntity) => Promise<void>;

/**
 * Providers register here what must happen at the provider when an identity goes (unlink, account
 * deletion). Runs after the commit; a provider that does not answer is logged, never blocks the user.
 */
@Injectable()
export class IdentityRevocations {
  private readonly logger = new Logger(IdentityRevocations.name);
  private readonly revokers = new Map<IdentityProviderName, IdentityRevoker>();

  register(provider: IdentityProviderName, revoker: IdentityRevoker): void {
    this.revokers.set(provider, revoker);
  }

  async revoke(identities: IdentityEntity[]): Promise<void> {
    for (const identity of identities) {
      const revoker = this.revokers.get(identity.provider);
      if (!revoker) continue;
      try {
        await revoker(identity);
      } catch (error) {
        this.logger.warn(`could not revoke a ${identity.provider} identity at the provider: ${(error as Error).name}`);
      }
    }
  }
}
