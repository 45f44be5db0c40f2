import { LoginMethod } from '../common/enums';
import { Injectable } from '@nestjs/common';
import { Brackets, In } from 'typeorm';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { UserStatus } from '../users/models/user.model';
import { parseMobilePhone } from '../users/phone-number';
import { effectiveRoles } from '../users/user-roles';
import { UserEntity } from '../users/user.entity';
import { WechatGrantEntity } from '../wechat/entities/wechat-grant.entity';
import { IdentitiesRepository } from '../identities/identities.repository';
import { WechatChannel } from '../common/enums';
import { TokenRefreshService } from '../wechat/token-refresh.service';
import {
  AdminUser,
  AdminUserPage,
  AuditEventPage,
  GrantStatus,
  LoginStats,
  TokenRefreshStatus,
} from './models/admin.models';

const MAX_PAGE = 100;

interface Actor {
  userId: string;
  ip: string | null;
}

/** Cursor = base64url of [createdAt, id]: stable under inserts, ordered newest first. */
function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string | null | undefined): { createdAt: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw DomainError.badInput('after', 'not a cursor from this API');
  }
}

function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw DomainError.badInput('first', `1 to ${MAX_PAGE}`);
  return size;
}

@Injectable()
export class AdminService {
  private readonly regions: string[];
  private readonly adminPhones: ReadonlySet<string>;

  constructor(
    private readonly database: Database,
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionsRepository,
    private readonly identityRows: IdentitiesRepository,
    private readonly refreshJob: TokenRefreshService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
    this.adminPhones = new Set(config.get('adminPhones'));
  }

  /** Search by phone (any accepted spelling), nickname, user id, openid or unionid; newest first. */
  async users(
    search: string | null | undefined,
    status: UserStatus | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<AdminUserPage> {
    const size = pageSize(first, 20);
    const cursor = decodeCursor(after);
    const manager = this.database.dataSource.manager;
    const query = manager.getRepository(UserEntity).createQueryBuilder('u');
    if (status) query.andWhere('u.status = :status', { status: status.toLowerCase() });
    const term = search?.trim();
    if (term) {
      if (term.length > 128) throw DomainError.badInput('search', 'at most 128 characters');
      let phone: string | null = null;
      try {
        phone = parseMobilePhone(term, this.regions, 'search');
      } catch {
        // not a phone number: search the other fields
      }
      if (phone) {
        query.andWhere('u.phone = :phone', { phone });
      } else {
        // '!' escapes LIKE wildcards the same way on SQLite and MySQL (a backslash does not).
        const like = `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
        query.andWhere(
          new Brackets((q) =>
            q
              .where("u.nickname LIKE :like ESCAPE '!'", { like })
              .orWhere('u.id = :term', { term })
              .orWhere(
                'EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND (i.subject = :term OR i.unionid = :term))',
                { term },
              ),
          ),
        );
      }
    }
    const total = await query.clone().getCount();
    if (cursor) {
      query.andWhere(
        new Brackets((q) =>
          q
            .where('u.created_at < :c', { c: cursor.createdAt })
            .orWhere('u.created_at = :c AND u.id < :cid', { c: cursor.createdAt, cid: cursor.id }),
        ),
      );
    }
    const rows = await query
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .take(size + 1)
      .getMany();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: await this.describe(items),
      total,
      nextCursor: rows.length > size && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  async user(id: string): Promise<AdminUser | null> {
    const user = await this.database.dataSource.manager.getRepository(UserEntity).findOne({ where: { id } });
    return user ? (await this.describe([user]))[0] : null;
  }

  async ban(id: string, reason: string, actor: Actor): Promise<AdminUser> {
    const trimmed = reason.trim();
    if (!trimmed || trimmed.length > 500) throw DomainError.badInput('reason', '1 to 500 characters');
    if (id === actor.userId) throw new DomainError(ErrorCode.FORBIDDEN, 'Admins cannot ban themselves.');
    await this.database.transaction(async (manager) => {
      const user = await manager.getRepository(UserEntity).findOne({ where: { id } });
      if (!user || user.status === 'deleted') throw DomainError.badInput('id', 'no such user');
      await manager.getRepository(UserEntity).update({ id }, { status: 'banned', updatedAt: this.clock.now() });
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
    return (await this.user(id))!;
  }

  async unban(id: string, actor: Actor): Promise<AdminUser> {
    await this.database.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(UserEntity)
        .set({ status: 'active', updatedAt: this.clock.now() })
        .where("id = :id AND status = 'banned'", { id })
        .execute();
      if ((result.affected ?? 0) === 0 && !(await manager.getRepository(UserEntity).exists({ where: { id } }))) {
        throw DomainError.badInput('id', 'no such user');
      }
      await this.audit.record(
        { action: 'admin.unban', actorUserId: actor.userId, subjectUserId: id, ip: actor.ip },
        manager,
      );
    });
    return (await this.user(id))!;
  }

  async unlinkWechat(userId: string, actor: Actor): Promise<AdminUser> {
    await this.database.transaction(async (manager) => {
      if (!(await manager.getRepository(UserEntity).exists({ where: { id: userId } })))
        throw DomainError.badInput('userId', 'no such user');
      const removed = await this.identityRows.deleteOfUserAtProvider(manager, userId, 'wechat');
      await this.audit.record(
        {
          action: 'admin.unlink_wechat',
          actorUserId: actor.userId,
          subjectUserId: userId,
          ip: actor.ip,
          details: { identities: removed },
        },
        manager,
      );
    });
    return (await this.user(userId))!;
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

  async runTokenRefresh(actor: Actor): Promise<TokenRefreshStatus> {
    const report = await this.refreshJob.runOnce();
    await this.audit.record({
      action: 'admin.run_token_refresh',
      actorUserId: actor.userId,
      ip: actor.ip,
      details: { refreshed: report.refreshed, failed: report.failed, reauthRequired: report.reauthRequired },
    });
    return this.refreshJob.status();
  }

  tokenRefreshStatus(): Promise<TokenRefreshStatus> {
    return this.refreshJob.status();
  }

  async auditEvents(
    userId: string | null | undefined,
    action: string | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<AuditEventPage> {
    const size = pageSize(first, 50);
    const cursor = decodeCursor(after);
    const query = this.database.dataSource.manager.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (userId) query.andWhere('(e.subject_user_id = :userId OR e.actor_user_id = :userId)', { userId });
    if (action) query.andWhere('e.action = :action', { action });
    if (cursor) {
      query.andWhere(
        new Brackets((q) =>
          q
            .where('e.created_at < :c', { c: cursor.createdAt })
            .orWhere('e.created_at = :c AND e.id < :cid', { c: cursor.createdAt, cid: cursor.id }),
        ),
      );
    }
    const rows = await query
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(size + 1)
      .getMany();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: items.map(({ requestId: _requestId, ...event }) => event),
      nextCursor: rows.length > size && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** Counted from the audit log (and users for sign-ups), within [from, to). */
  async loginStats(from: Date | null | undefined, to: Date | null | undefined): Promise<LoginStats> {
    const start = from ?? new Date(0);
    const end = to ?? new Date(this.clock.nowMs() + 1000);
    const manager = this.database.dataSource.manager;
    const events = await manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .select(['e.action', 'e.details'])
      .where('e.created_at >= :start AND e.created_at < :end', { start, end })
      .andWhere("(e.action LIKE 'login.%' OR e.action LIKE '%.bind')")
      .getMany();
    const failures = new Map<string, number>();
    // Every login path writes 'login.<provider>' for a returning login and '<provider>.bind' when a
    // first login finishes at its phone step (each issues a session); refusals are 'login.failed'.
    const byMethod = new Map<LoginMethod, number>(Object.values(LoginMethod).map((m) => [m, 0]));
    let wechatLogins = 0;
    let phoneLogins = 0;
    let bindings = 0;
    for (const event of events) {
      if (event.action === 'login.failed') {
        const code = (JSON.parse(event.details ?? '{}') as { code?: string }).code ?? 'UNKNOWN';
        failures.set(code, (failures.get(code) ?? 0) + 1);
        continue;
      }
      const [kind, what] = event.action.split('.');
      const method = (kind === 'login' ? what : kind).toUpperCase() as LoginMethod;
      if (!byMethod.has(method) || (kind !== 'login' && what !== 'bind')) continue;
      byMethod.set(method, byMethod.get(method)! + 1);
      if (event.action === 'login.wechat') wechatLogins += 1;
      else if (event.action === 'login.phone') phoneLogins += 1;
      else if (what === 'bind') bindings += 1;
    }
    const newUsers = await manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('u.created_at >= :start AND u.created_at < :end', { start, end })
      .getCount();
    return {
      wechatLogins,
      phoneLogins,
      newUsers,
      bindings,
      failuresByCode: [...failures.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count })),
      loginsByMethod: [...byMethod.entries()].map(([method, count]) => ({ method, count })),
    };
  }

  private async describe(users: UserEntity[]): Promise<AdminUser[]> {
    if (users.length === 0) return [];
    const manager = this.database.dataSource.manager;
    const ids = users.map((u) => u.id);
    const identities = await this.identityRows.findOfUsersAtProvider(ids, 'wechat');
    const grants = identities.length
      ? await manager.getRepository(WechatGrantEntity).find({ where: { identityId: In(identities.map((i) => i.id)) } })
      : [];
    const live = await this.sessionRows.countLiveByUser(ids, this.clock.now());
    return users.map((user) => ({
      id: user.id,
      phone: user.phone,
      nickname: user.nickname,
      status: user.status.toUpperCase() as UserStatus,
      roles: effectiveRoles(user, this.adminPhones),
      createdAt: user.createdAt,
      lastLoginAt: user.lastLoginAt,
      activeSessions: live.get(user.id) ?? 0,
      wechatIdentities: identities
        .filter((i) => i.userId === user.id)
        .map((identity) => {
          const grant = grants.find((g) => g.identityId === identity.id);
          return {
            appId: identity.appId,
            openid: identity.subject,
            channel: identity.channel ? (identity.channel.toUpperCase() as WechatChannel) : null,
            unionid: identity.unionid,
            nickname: identity.nickname,
            grantStatus: grant ? (grant.status.toUpperCase() as GrantStatus) : null,
            accessExpiresAt: grant?.accessExpiresAt ?? null,
            refreshExpiresAt: grant?.refreshExpiresAt ?? null,
          };
        }),
    }));
  }
}
