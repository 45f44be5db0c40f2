import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { IdentityUnlinkingService } from '../identities/identity-unlinking.service';
import { SessionsService } from '../sessions/sessions.service';
import { SmsCodesService } from '../sms/sms-codes.service';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';

export interface ErasureAudit {
  action: string;
  /** The user themself (deleteMyAccount); null when a provider's event deleted the account. */
  actorUserId: string | null;
  ip: string | null;
  details?: Record<string, unknown>;
}

/**
 * The steps of deleting an account, inside the caller's transaction: every session revoked and its
 * personal data erased, the phone's SMS codes forgotten, every identity removed (and revoked through the
 * outbox), the user erased, `user.deleted` and the audit row. deleteMyAccount and the providers'
 * account-deleted events share it.
 */
@Injectable()
export class AccountErasure {
  constructor(
    private readonly sessions: SessionsService,
    private readonly smsCodes: SmsCodesService,
    private readonly unlinking: IdentityUnlinkingService,
    private readonly users: UsersService,
    private readonly webhooks: WebhookEvents,
    private readonly audit: AuditService,
  ) {}

  async erase(manager: EntityManager, user: { id: string; phone: string | null }, audit: ErasureAudit): Promise<void> {
    const sessions = await this.sessions.revokeAllForUser(manager, user.id, 'account-deleted');
    await this.sessions.erasePersonalData(manager, user.id);
    if (user.phone) await this.smsCodes.forgetPhone(manager, user.phone);
    const identities = await this.unlinking.removeAll(manager, user.id);
    await this.users.erase(manager, user.id);
    await this.webhooks.emit(manager, 'user.deleted', { userId: user.id });
    await this.audit.record(
      {
        action: audit.action,
        actorUserId: audit.actorUserId,
        subjectUserId: user.id,
        ip: audit.ip,
        details: {
          ...(user.phone ? { phone: maskPhone(user.phone) } : {}),
          sessionsRevoked: sessions,
          identitiesRemoved: identities.length,
          ...audit.details,
        },
      },
      manager,
    );
  }
}
