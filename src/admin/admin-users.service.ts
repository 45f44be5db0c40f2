import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { WechatChannel } from '../common/enums';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { IdentitiesRepository } from '../identities/identities.repository';
import { SessionsRepository } from '../sessions/sessions.repository';
import { UserStatus } from '../users/models/user.model';
import { parseMobilePhone } from '../users/phone-number';
import { effectiveRoles } from '../users/user-roles';
import { UserEntity, UserStatusValue } from '../users/user.entity';
import { UserSearch, UsersRepository } from '../users/users.repository';
import { WechatGrantsRepository } from '../wechat/wechat-grants.repository';
import { decodeCursor, encodeCursor, pageSize } from './admin-paging';
import { AdminUser, AdminUserPage, GrantStatus } from './models/admin.models';

/** The admin's view of users: search, one user, and what each is shown with (identities, grants, sessions). */
@Injectable()
export class AdminUsersService {
  private readonly regions: string[];
  private readonly adminPhones: ReadonlySet<string>;

  constructor(
    private readonly userRows: UsersRepository,
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
    query: string | null | undefined,
    status: UserStatus | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<AdminUserPage> {
    const size = pageSize(first, 20);
    const search: UserSearch = { limit: size + 1, before: decodeCursor(after) ?? undefined };
    if (status) search.status = status.toLowerCase() as UserStatusValue;
    const term = query?.trim();
    if (term) {
      if (term.length > 128) throw DomainError.badInput('search', 'at most 128 characters');
      let phone: string | null = null;
      try {
        phone = parseMobilePhone(term, this.regions, 'search');
      } catch {
        // not a phone number: search the other fields
      }
      if (phone) search.phone = phone;
      else search.term = term;
    }
    const { rows, total } = await this.userRows.search(search);
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: await this.describe(items),
      total,
      nextCursor: rows.length > size && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  async user(id: string): Promise<AdminUser | null> {
    const user = await this.userRows.findById(id);
    return user ? (await this.describe([user]))[0] : null;
  }

  async describe(users: UserEntity[]): Promise<AdminUser[]> {
    if (users.length === 0) return [];
    const ids = users.map((u) => u.id);
    const identities = await this.identityRows.findOfUsersAtProvider(ids, 'wechat');
    const grants = await this.grantRows.findForIdentities(identities.map((i) => i.id));
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
