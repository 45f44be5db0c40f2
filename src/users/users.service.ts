import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import { isUniqueViolation } from '../database/database-errors';
import { WebhookEvents } from '../webhooks/webhook-events';
import { asSql, Sql, SqlTarget } from '../database/sql';
import { toUserModel, User } from './models/user.model';
import { effectiveRoles } from './user-roles';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  private readonly adminPhones: Set<string>;

  constructor(
    private readonly rows: UsersRepository,
    private readonly clock: Clock,
    private readonly webhooks: WebhookEvents,
    config: AppConfig,
  ) {
    this.adminPhones = new Set(config.get('adminPhones'));
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.rows.findById(id, manager);
  }

  /**
   * The user who owns this phone, created on first use. Race-safe: the phone's unique key decides
   * between two first logins, and the loser reads the winner's row (a locking read on MySQL, which
   * sees the latest commit even inside an older snapshot). Plain SQL on `target`: a transaction's
   * manager, or `Database.sql` (each statement on its own).
   */
  async findOrCreateByPhone(target: SqlTarget, phone: string): Promise<{ user: UserEntity; created: boolean }> {
    const sql = asSql(target);
    const existing = await this.rows.findByPhone(sql, phone);
    if (existing) return { user: existing, created: false };
    return this.createWithPhone(sql, phone, null);
  }

  /**
   * Phone login's user step, in two statements: the owner of the phone stamped as logged in (roles
   * brought in line with ADMIN_PHONES; the stamp is queued, `Sql.write`, and rides with the caller's
   * next writes in a `Database.sqlSession`), or a new user created already logged in. A banned owner
   * is answered as it is, untouched.
   */
  async loginByPhone(target: SqlTarget, phone: string): Promise<{ user: UserEntity; created: boolean }> {
    const sql = asSql(target);
    const existing = await this.rows.findByPhone(sql, phone);
    if (existing) {
      return { user: existing.status === 'banned' ? existing : await this.markLogin(sql, existing), created: false };
    }
    // Queued with the session and audit row that follow (one round trip in a Database.sqlSession).
    // Two first logins of one phone: the loser's duplicate key surfaces when the queue is sent, and
    // the server has run nothing after it; the caller runs this step again, and finds the winner.
    const user = this.newPhoneUser(phone, this.clock.now());
    await this.rows.insertWithPhone(sql, user, 'queued');
    await this.webhooks.emit(sql, 'user.created', { userId: user.id });
    return { user, created: true };
  }

  private newPhoneUser(phone: string, loginAt: Date | null): UserEntity {
    const now = this.clock.now();
    return {
      id: newId(),
      phone,
      nickname: null,
      avatarUrl: null,
      status: 'active',
      roles: effectiveRoles({ phone, roles: [] }, this.adminPhones),
      createdAt: now,
      updatedAt: now,
      lastLoginAt: loginAt,
      deletedAt: null,
      mergedInto: null,
    };
  }

  private async createWithPhone(
    sql: Sql,
    phone: string,
    loginAt: Date | null,
  ): Promise<{ user: UserEntity; created: boolean }> {
    const user = this.newPhoneUser(phone, loginAt);
    try {
      await this.rows.insertWithPhone(sql, user);
      // In the caller's transaction; on the phone login's autocommit path, the statement right after.
      await this.webhooks.emit(sql, 'user.created', { userId: user.id });
      return { user, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.rows.findByPhone(sql, phone, true);
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
    await this.rows.insert(manager, user);
    await this.webhooks.emit(manager, 'user.created', { userId: user.id });
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
    await this.rows.update(manager, userId, { ...changes, updatedAt: this.clock.now() });
  }

  /** The user was folded into another: kept for the audit trail, never logs in again. */
  async markMerged(manager: EntityManager, userId: string, intoUserId: string): Promise<void> {
    const now = this.clock.now();
    await this.rows.update(manager, userId, {
      phone: null,
      roles: [],
      status: 'deleted',
      mergedInto: intoUserId,
      deletedAt: now,
      updatedAt: now,
    });
  }

  /** Stamps the login and brings the stored roles in line with ADMIN_PHONES (granted or taken away). */
  async markLogin(target: SqlTarget, user: UserEntity): Promise<UserEntity> {
    const now = this.clock.now();
    const roles = effectiveRoles(user, this.adminPhones);
    await this.rows.markLogin(asSql(target), user.id, roles, now);
    return { ...user, lastLoginAt: now, updatedAt: now, roles };
  }

  /** PIPL erasure: the row stays (audit references it) with every personal field cleared. */
  async erase(manager: EntityManager, userId: string): Promise<void> {
    const now = this.clock.now();
    await this.rows.update(manager, userId, {
      phone: null,
      nickname: null,
      avatarUrl: null,
      roles: [],
      status: 'deleted',
      deletedAt: now,
      updatedAt: now,
    });
  }

  /** The user as they see themself (full phone number). Identities resolve only when asked for. */
  toSelfModel(user: UserEntity): User {
    return toUserModel(user, true);
  }
}
