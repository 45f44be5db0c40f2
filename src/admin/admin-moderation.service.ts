import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AccountLinkingService } from '../identities/account-linking.service';
import { SessionsService } from '../sessions/sessions.service';
import { isGone } from '../users/sign-in-policy';
import { UsersRepository } from '../users/users.repository';
import { WebhookEvents } from '../webhooks/webhook-events';
import { Actor } from './admin-paging';
import { AdminUsersService } from './admin-users.service';
import { AdminUser } from './models/admin.models';

/**
 * What an admin does to a user (ban, unban, unlink WeChat, end sessions), each audited in its transaction.
 * Unlinking goes through the account-linking service like a user's own.
 */
@Injectable()
export class AdminModerationService {
  constructor(
    private readonly database: Database,
    private readonly users: AdminUsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly linking: AccountLinkingService,
    private readonly usersData: UsersRepository,
    private readonly webhooks: WebhookEvents,
  ) {}

  async ban(id: string, reason: string, actor: Actor): Promise<AdminUser> {
    const trimmed = reason.trim();
    if (!trimmed || trimmed.length > 500) throw DomainError.badInput('reason', '1 to 500 characters');
    if (id === actor.userId) throw new DomainError(ErrorCode.FORBIDDEN, 'Admins cannot ban themselves.');
    await this.database.transaction(async (manager) => {
      const user = await this.usersData.findById(id, manager);
      if (isGone(user)) throw DomainError.badInput('id', 'no such user');
      await this.usersData.update(manager, id, { status: 'banned', updatedAt: this.clock.now() });
      await this.webhooks.emit(manager, 'user.banned', { userId: id });
      const revoked = await this.sessions.revokeAllForUser(manager, id, 'banned');
      await this.audit.record(
        {
          action: 'admin.ban',
          actorUserId: actor.userId,
          subjectUserId: id,
          ip: actor.ip,
          details: { reason: trimmed, sessionsRevoked: revoked },
        },
        manager,
      );
    });
    return (await this.users.user(id))!;
  }

  async unban(id: string, actor: Actor): Promise<AdminUser> {
    await this.database.transaction(async (manager) => {
      const unbanned = await this.usersData.unban(manager, id, this.clock.now());
      if (!unbanned && !(await this.usersData.exists(manager, id))) {
        throw DomainError.badInput('id', 'no such user');
      }
      await this.audit.record(
        { action: 'admin.unban', actorUserId: actor.userId, subjectUserId: id, ip: actor.ip },
        manager,
      );
    });
    return (await this.users.user(id))!;
  }

  async unlinkWechat(userId: string, actor: Actor): Promise<AdminUser> {
    // The linking service's unlink, as an admin: audited as 'admin.unlink_wechat' in its transaction.
    await this.linking.unlinkByAdmin(userId, 'wechat', actor.userId, { ip: actor.ip, userAgent: null });
    return (await this.users.user(userId))!;
  }

  async revokeSessions(userId: string, actor: Actor): Promise<number> {
    return this.database.transaction(async (manager) => {
      const revoked = await this.sessions.revokeAllForUser(manager, userId, 'admin');
      await this.audit.record(
        {
          action: 'admin.revoke_sessions',
          actorUserId: actor.userId,
          subjectUserId: userId,
          ip: actor.ip,
          details: { sessionsRevoked: revoked },
        },
        manager,
      );
      return revoked;
    });
  }
}
