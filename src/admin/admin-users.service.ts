import { Injectable } from '@nestjs/common';
import { Brackets } from 'typeorm';
import { Clock } from '../common/clock';
import { WechatChannel } from '../common/enums';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { IdentitiesRepository } from '../identities/identities.repository';
import { SessionsRepository } from '../sessions/sessions.repository';
import { UserStatus } from '../users/models/user.model';
import { parseMobilePhone } from '../users/phone-number';
import { effectiveRoles } from '../users/user-roles';
import { UserEntity } from '../users/user.entity';
import { WechatGrantsRepository } from '../wechat/wechat-grants.repository';
import { decodeCursor, encodeCursor, pageSize } from './admin-paging';
import { AdminUser, AdminUserPage, GrantStatus } from './models/admin.models';

/** The admin's view of users: search, one user, and what each is shown with (identities, grants, sessions). */
@Injectable()
export class AdminUsersService {
  private readonly regions: string[];
  private readonly adminPhones: ReadonlySet<string>;

  constructor(
    private readonly database: Database,
    private readonly sessionRows: SessionsRepository,
    private readonly grantRows: WechatGrantsRepository,
    private readonly identityRows: IdentitiesRepository,
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

  async describe(users: UserEntity[]): Promise<AdminUser[]> {
    if (users.length === 0) return [];
    const manager = this.database.dataSource.manager;
    const ids = users.map((u) => u.id);
    const identities = await this.identityRows.findOfUsersAtProvider(ids, 'wechat');
    const grants = await this.grantRows.findForIdentities(
      identities.map((i) => i.id),
      manager,
    );
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
