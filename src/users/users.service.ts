import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
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

  /** Stamps the login and brings the stored roles in line with ADMIN_PHONES (granted or taken away). */
  async markLogin(manager: EntityManager, user: UserEntity): Promise<UserEntity> {
    const now = this.clock.now();
    const roles = effectiveRoles(user, this.adminPhones);
    await manager.getRepository(UserEntity).update({ id: user.id }, { lastLoginAt: now, updatedAt: now, roles });
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

  async isWechatLinked(userId: string, manager: EntityManager = this.database.dataSource.manager): Promise<boolean> {
    const rows = (await manager
      .createQueryBuilder()
      .select('1', 'found')
      .from('wechat_identities', 'i')
      .where('i.user_id = :userId', { userId })
      .limit(1)
      .getRawMany()) as unknown[];
    return rows.length > 0;
  }

  /** The user as they see themself (full phone number). */
  async toSelfModel(user: UserEntity): Promise<User> {
    return toUserModel(user, await this.isWechatLinked(user.id), true);
  }
}
