import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { sqlIn } from '../database/sql';
import { isUniqueViolation } from '../database/rate-limits';
import { toUserModel, User } from './models/user.model';
import { effectiveRoles } from './user-roles';
import { UserEntity } from './user.entity';

@Injectable()
export class UsersService {
  private readonly adminPhones: Set<string>;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.adminPhones = new Set(config.get('adminPhones'));
  }

  findById(id: string, manager: EntityManager = this.database.dataSource.manager): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOne({ where: { id } });
  }

  /**
   * The user who owns this phone, created on first use. Race-safe: the phone's unique key decides
   * between two first logins, and the loser reads the winner's row with a locking read (which sees
   * the latest commit even inside an older MySQL snapshot).
   */
  async findOrCreateByPhone(manager: EntityManager, phone: string): Promise<{ user: UserEntity; created: boolean }> {
    const users = manager.getRepository(UserEntity);
    const existing = await users.findOne({ where: { phone } });
    if (existing) return { user: existing, created: false };
    const now = this.clock.now();
    const user: UserEntity = {
      id: newId(),
      phone,
      nickname: null,
      avatarUrl: null,
      status: 'active',
      roles: effectiveRoles({ phone, roles: [] }, this.adminPhones),
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      deletedAt: null,
      mergedInto: null,
    };
    try {
      await users.insert({ ...user }); // a copy: the driver writes returned values back into what it inserts
      return { user, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await users.findOne({
        where: { phone },
        ...(this.database.dialect === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
      if (!winner) throw error;
      return { user: winner, created: false };
    }
  }

  /** A user with no phone yet (REQUIRE_PHONE=false: a provider identity is enough). */
  async createWithoutPhone(manager: EntityManager): Promise<UserEntity> {
    const now = this.clock.now();
    const user: UserEntity = {
      id: newId(),
      phone: null,
      nickname: null,
      avatarUrl: null,
      status: 'active',
      roles: [],
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      deletedAt: null,
      mergedInto: null,
    };
    await manager.getRepository(UserEntity).insert({ ...user });
    return user;
  }

  /** Fields a user takes over from a provider profile or a folded account; undefined leaves one as it is. */
  async adopt(
    manager: EntityManager,
    userId: string,
    fields: { phone?: string; nickname?: string | null; avatarUrl?: string | null },
  ): Promise<void> {
    const changes = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length === 0) return;
    await manager.getRepository(UserEntity).update({ id: userId }, { ...changes, updatedAt: this.clock.now() });
  }

  /** The user was folded into another: kept for the audit trail, never logs in again. */
  async markMerged(manager: EntityManager, userId: string, intoUserId: string): Promise<void> {
    const now = this.clock.now();
    await manager
      .getRepository(UserEntity)
      .update(
        { id: userId },
        { phone: null, roles: [], status: 'deleted', mergedInto: intoUserId, deletedAt: now, updatedAt: now },
      );
  }

  /** Stamps the login and brings the stored roles in line with ADMIN_PHONES (granted or taken away). */
  async markLogin(manager: EntityManager, user: UserEntity): Promise<UserEntity> {
    const now = this.clock.now();
    const roles = effectiveRoles(user, this.adminPhones);
    await sqlIn(manager).run('UPDATE users SET last_login_at = ?, updated_at = ?, roles = ? WHERE id = ?', [
      now,
      now,
      roles.join(','),
      user.id,
    ]);
    return { ...user, lastLoginAt: now, updatedAt: now, roles };
  }

  /** PIPL erasure: the row stays (audit references it) with every personal field cleared. */
  async erase(manager: EntityManager, userId: string): Promise<void> {
    const now = this.clock.now();
    await manager
      .getRepository(UserEntity)
      .update(
        { id: userId },
        { phone: null, nickname: null, avatarUrl: null, roles: [], status: 'deleted', deletedAt: now, updatedAt: now },
      );
  }

  /** The user as they see themself (full phone number). Identities resolve only when asked for. */
  toSelfModel(user: UserEntity): User {
    return toUserModel(user, true);
  }
}
