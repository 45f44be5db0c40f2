import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AccountDeletionService } from '../account/account-deletion.service';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { IdentitiesRepository, type IdentityKey } from '../identities/identities.repository';
import { IdentitiesService } from '../identities/identities.service';
import { linkedData } from '../identities/identity-ownership.service';
import { loginMethodOf } from '../identities/verified-identity';
import type { ProviderEvent, ProviderEventContext } from '../provider-events/provider-event';
import { SessionsRepository } from '../sessions/sessions.repository';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';

export type WithdrawalKind = 'consent-withdrawn' | 'account-deleted';

/**
 * What a provider's event does to the person it names (docs/provider-events.md, "Effects"): each
 * effect, its audit row and its webhooks commit in one transaction with the event's applied mark.
 * An event about an identity we do not hold (never linked, or already gone) is applied as nothing.
 */
@Injectable()
export class ProviderEventEffects {
  constructor(
    private readonly identityRows: IdentitiesRepository,
    private readonly identities: IdentitiesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly deletion: AccountDeletionService,
    private readonly webhooks: WebhookEvents,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * The provider withdrew the identity: it is unlinked (even the user's last way in: the provider no
   * longer vouches for it; its grant goes with it), the sessions its provider's logins started are
   * revoked, and the user stays. For `account-deleted`, a user left with no phone and no identity is
   * deleted as deleteMyAccount would. Nothing is revoked at the provider: it did that itself.
   */
  async withdraw(event: ProviderEvent, context: ProviderEventContext, key: IdentityKey, kind: WithdrawalKind) {
    await context.commit(async (manager) => {
      const found = await this.identityRows.findForSignIn(manager, key, null, false);
      const userId = found?.identity.userId;
      if (!found || !userId) return;
      const { identity } = found;
      // The grant row (wechat_grants) goes with the identity: its foreign key cascades.
      await this.identityRows.deleteByIds(manager, [identity.id]);
      await this.webhooks.emit(manager, 'identity.unlinked', linkedData(identity, userId));
      const reason = `${key.provider}-${kind === 'account-deleted' ? 'deleted' : 'withdrawn'}`;
      const sessionIds = await this.sessions.revokeOfUserByMethod(
        manager,
        userId,
        loginMethodOf(key.provider),
        reason,
        this.clock.now(),
      );
      if (sessionIds.length > 0) await this.webhooks.emit(manager, 'sessions.revoked', { userId, sessionIds });
      await this.audit.record(
        {
          action: `${key.provider}.${kind === 'account-deleted' ? 'account_deleted' : 'consent_withdrawn'}`,
          subjectUserId: userId,
          details: {
            appId: key.appId,
            eventType: event.eventType,
            eventId: event.id,
            sessionsRevoked: sessionIds.length,
          },
        },
        manager,
      );
      if (kind === 'account-deleted') await this.deleteIfNoWayIn(manager, userId, event);
    });
  }

  /** The provider's profile changed: the stored one is marked stale (refreshed at the next login), nothing else. */
  async markProfileStale(event: ProviderEvent, context: ProviderEventContext, key: IdentityKey): Promise<void> {
    await context.commit(async (manager) => {
      const found = await this.identityRows.findForSignIn(manager, key, null, false);
      if (!found) return;
      await this.identityRows.markProfileStale(manager, found.identity.id, this.clock.now());
      await this.audit.record(
        {
          action: `${key.provider}.profile_stale`,
          subjectUserId: found.identity.userId,
          details: { appId: key.appId, eventType: event.eventType, eventId: event.id },
        },
        manager,
      );
    });
  }

  /** Apple's relay address was turned off (null) or on again: the stored email follows, nothing else. */
  async setEmail(event: ProviderEvent, context: ProviderEventContext, key: IdentityKey, email: string | null) {
    await context.commit(async (manager) => {
      const found = await this.identityRows.findForSignIn(manager, key, null, false);
      if (!found) return;
      await this.identityRows.setEmail(manager, found.identity.id, email, this.clock.now());
      await this.audit.record(
        {
          action: `${key.provider}.email_${email === null ? 'disabled' : 'enabled'}`,
          subjectUserId: found.identity.userId,
          details: { appId: key.appId, eventId: event.id },
        },
        manager,
      );
    });
  }

  private async deleteIfNoWayIn(manager: EntityManager, userId: string, event: ProviderEvent): Promise<void> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.status === 'deleted' || user.phone) return;
    if ((await this.identities.forUser(userId, manager)).length > 0) return;
    await this.deletion.deleteUser(manager, userId, `provider-event:${event.provider}.${event.eventType}`);
  }
}
