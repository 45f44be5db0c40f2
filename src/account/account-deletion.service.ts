import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { IdentityUnlinkingService } from '../identities/identity-unlinking.service';
import { SessionsService } from '../sessions/sessions.service';
import { SmsCodesService } from '../sms/sms-codes.service';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';

/** Why an account goes: its owner asked (and how they confirmed), or a provider said the person left. */
export type DeletionReason = 'sms' | `reauth:${string}` | `provider-event:${string}`;

export interface DeletionSummary {
  sessionsRevoked: number;
  identitiesRemoved: number;
}

/**
 * PIPL erasure, the one cascade. `deleteUser` runs, in the caller's transaction (deleteMyAccount and
 * the provider events' effects call it; this module imports nothing above the services): sessions revoked and stripped of IP, user agent and device;
 * the phone's SMS codes dropped (they would keep the number two more days); every identity (and
 * WeChat grant) removed, with its revocation at the provider through the outbox (Apple: retried until
 * Apple answers); personal fields erased; a `user.deleted` webhook; the audit row (masked phone).
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    private readonly smsCodes: SmsCodesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly unlinking: IdentityUnlinkingService,
    private readonly webhooks: WebhookEvents,
    private readonly audit: AuditService,
  ) {}

  /** The cascade, in the caller's transaction. A user already deleted is left as it is. */
  async deleteUser(
    manager: EntityManager,
    userId: string,
    reason: DeletionReason,
    meta: Pick<RequestMeta, 'ip'> = { ip: null },
  ): Promise<DeletionSummary> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.status === 'deleted') return { sessionsRevoked: 0, identitiesRemoved: 0 };
    const sessionsRevoked = await this.sessions.revokeAllForUser(manager, userId, 'account-deleted');
    await this.sessions.erasePersonalData(manager, userId);
    if (user.phone) await this.smsCodes.forgetPhone(manager, user.phone);
    const identities = await this.unlinking.removeAll(manager, userId);
    await this.users.erase(manager, userId);
    await this.webhooks.emit(manager, 'user.deleted', { userId });
    const byOwner = !reason.startsWith('provider-event:');
    await this.audit.record(
      {
        action: 'account.delete',
        actorUserId: byOwner ? userId : null,
        subjectUserId: userId,
        ip: meta.ip,
        details: {
          phone: user.phone ? maskPhone(user.phone) : null,
          reason,
          sessionsRevoked,
          identitiesRemoved: identities.length,
        },
      },
      manager,
    );
    return { sessionsRevoked, identitiesRemoved: identities.length };
  }
}
