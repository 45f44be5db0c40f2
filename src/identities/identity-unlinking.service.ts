import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { RequestMeta } from '../common/request-meta';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { assertNotGone } from '../users/sign-in-policy';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { IdentityEntity } from './identity.entity';
import { linkedData } from './identity-ownership.service';
import { IdentityRevocations } from './identity-revocations';
import { IdentityProviderName } from './verified-identity';

export interface UnlinkRequest {
  userId: string;
  provider: IdentityProviderName;
  /** One app of the provider; null: all of them. */
  appId: string | null;
  meta: RequestMeta;
  /** The admin who unlinks someone else's identities; null when users unlink their own. */
  adminId: string | null;
}

/** Identities leave their user: unlinked by the user or an admin, or all at account deletion. */
@Injectable()
export class IdentityUnlinkingService {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly identityRows: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly database: Database,
    private readonly webhooks: WebhookEvents,
    private readonly revocations: IdentityRevocations,
  ) {}

  /**
   * Removes the user's identities of a provider (one app, or all), in one transaction with its audit
   * row and the revocations at the provider (through the outbox). A user is refused when nothing would
   * be left to log in with; an admin is not (the user keeps their phone or is meant to lose the way
   * in), and every admin call is audited, even one that found nothing. Returns what was removed.
   */
  async unlink(request: UnlinkRequest): Promise<IdentityEntity[]> {
    const { userId, provider, appId, meta, adminId } = request;
    return this.database.transaction(async (manager) => {
      const user = await this.users.findById(userId, manager);
      if (adminId === null) assertNotGone(user);
      else if (!user) throw DomainError.badInput('userId', 'no such user');
      const all = await this.identities.forUser(userId, manager);
      const removed = all.filter((i) => i.provider === provider && (!appId || i.appId === appId));
      if (adminId === null) {
        if (removed.length === 0) return [];
        if (!user?.phone && removed.length === all.length) throw new DomainError(ErrorCode.LAST_LOGIN_METHOD);
      }
      await this.identityRows.deleteByIds(
        manager,
        removed.map((i) => i.id),
      );
      for (const identity of removed)
        await this.webhooks.emit(manager, 'identity.unlinked', linkedData(identity, userId));
      await this.revocations.enqueue(manager, removed);
      await this.audit.record(
        adminId === null
          ? {
              action: `${provider}.unlink`,
              actorUserId: userId,
              subjectUserId: userId,
              ip: meta.ip,
              details: { identities: removed.length, appId },
            }
          : {
              action: `admin.unlink_${provider}`,
              actorUserId: adminId,
              subjectUserId: userId,
              ip: meta.ip,
              details: { identities: removed.length },
            },
        manager,
      );
      return removed;
    });
  }

  /** Account deletion: every identity of the user goes (and is revoked), inside the caller's transaction. */
  async removeAll(manager: EntityManager, userId: string): Promise<IdentityEntity[]> {
    const removed = await this.identities.forUser(userId, manager);
    await this.identityRows.deleteByIds(
      manager,
      removed.map((i) => i.id),
    );
    await this.revocations.enqueue(manager, removed);
    return removed;
  }
}
