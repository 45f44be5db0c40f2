import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { errorPolicy } from '../errors/error-code';
import {
  outcomeOf,
  ProviderNotSentError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../outbound/provider-call-error';
import { OutboxHandlers, OutboxTry } from '../outbox/outbox-handlers';
import type { OutboxRow } from '../outbox/outbox.repository';
import { OutboxService } from '../outbox/outbox.service';
import type { IdentityEntity } from './identity.entity';
import { IDENTITY_PROVIDERS, IdentityProviderName } from '../common/identity-providers';

/** The outbox kind of a revocation at a provider (the migration names it). */
export const IDENTITY_REVOKE_KIND = 'identity.revoke';

/** What a revocation needs of an identity that is gone: the secret still encrypted as it was stored. */
export type RevocableIdentity = Pick<IdentityEntity, 'id' | 'provider' | 'appId' | 'secretEnc' | 'secretKeyId'>;

/** What a provider does when one of its identities is removed (Apple: revoke its refresh token). */
export type IdentityRevoker = (identity: RevocableIdentity) => Promise<void>;

/**
 * Providers register here what must happen at the provider when an identity goes (unlink, account
 * deletion). The removal writes one outbox message per such identity in its own transaction (the
 * secret as stored: encrypted, never plaintext in the outbox); the outbox drainer calls the provider
 * and tries again on its schedule until the provider answers, whether or not webhooks are configured.
 */
@Injectable()
export class IdentityRevocations implements OnModuleInit {
  private readonly logger = new Logger(IdentityRevocations.name);
  private readonly revokers = new Map<IdentityProviderName, IdentityRevoker>();

  constructor(
    private readonly outbox: OutboxService,
    private readonly handlers: OutboxHandlers,
  ) {}

  onModuleInit(): void {
    this.handlers.register(IDENTITY_REVOKE_KIND, (message) => this.send(message));
  }

  register(provider: IdentityProviderName, revoker: IdentityRevoker): void {
    this.revokers.set(provider, revoker);
  }

  /** In the transaction that removes `identities`: a message for each one its provider revokes. */
  async enqueue(target: SqlTarget, identities: readonly IdentityEntity[]): Promise<void> {
    for (const identity of identities) {
      if (!this.revokers.has(identity.provider) || !identity.secretEnc || !identity.secretKeyId) continue;
      const payload: RevocableIdentity = {
        id: identity.id,
        provider: identity.provider,
        appId: identity.appId,
        secretEnc: identity.secretEnc,
        secretKeyId: identity.secretKeyId,
      };
      await this.outbox.add(target, {
        kind: IDENTITY_REVOKE_KIND,
        type: identity.provider,
        payload: JSON.stringify(payload),
      });
    }
  }

  /** One try: done when the provider answered; tried again while it cannot be reached. */
  async send(message: OutboxRow): Promise<OutboxTry> {
    const identity = parsePayload(message.payload);
    const revoker = identity && this.revokers.get(identity.provider);
    if (!identity || !revoker) return { ok: false, error: 'no_revoker', final: true };
    try {
      await revoker(identity);
      return { ok: true };
    } catch (error) {
      // Not answering (or refusing our client secret): tried again on the schedule.
      if (error instanceof ProviderUnavailableError || error instanceof ProviderNotSentError) {
        return { ok: false, error: outcomeOf(error) };
      }
      if (error instanceof DomainError && (error.details.retryable ?? errorPolicy(error.code).retryable)) {
        return { ok: false, error: error.code.toLowerCase() };
      }
      // The provider no longer knows the token, or the app is no longer configured: nothing to revoke.
      if (error instanceof ProviderRejectedError || error instanceof DomainError) {
        this.logger.warn(`${identity.provider} revocation refused for good: ${error.name}`);
        return { ok: false, error: error instanceof DomainError ? error.code.toLowerCase() : 'rejected', final: true };
      }
      throw error;
    }
  }
}

function parsePayload(payload: string): RevocableIdentity | null {
  try {
    const value = JSON.parse(payload) as Partial<RevocableIdentity>;
    const fields = [value.id, value.appId, value.secretEnc, value.secretKeyId];
    if (!fields.every((f) => typeof f === 'string')) return null;
    if (!IDENTITY_PROVIDERS.includes(value.provider as IdentityProviderName)) return null;
    return value as RevocableIdentity;
  } catch {
    return null;
  }
}
