import { Injectable, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { WechatIdentityEntity } from '../wechat/entities/wechat-identity.entity';
import { UserEntity } from './user.entity';
import { UsersModule } from './users.module';
import { UsersService } from './users.service';

/**
 * Where a verified WeChat identity meets a verified phone or a signed-in user. The WeChat side
 * proves the identity, the users side the phone; this service only decides whom they belong to,
 * inside the caller's transaction, with the unique (user_id, app_id) key settling races.
 */
@Injectable()
export class AccountLinkingService {
  constructor(
    private readonly users: UsersService,
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Joins the identity to the owner of `phone`: a new user for an unknown phone, the existing user
   * when they have no WeChat person yet (or the same person through another app). A phone whose
   * user belongs to another WeChat person answers PHONE_ALREADY_BOUND.
   */
  async bindPhone(
    manager: EntityManager,
    identity: WechatIdentityEntity,
    phone: string,
  ): Promise<{ user: UserEntity; created: boolean }> {
    if (identity.userId) {
      const owner = await this.users.findById(identity.userId, manager);
      if (owner?.phone === phone) return { user: owner, created: false };
      throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    }
    const { user, created } = await this.users.findOrCreateByPhone(manager, phone);
    if (user.status === 'banned') throw new DomainError(ErrorCode.USER_BANNED);
    if (await this.belongsToAnotherPerson(manager, user.id, identity))
      throw new DomainError(ErrorCode.PHONE_ALREADY_BOUND);
    await this.attach(manager, identity, user, ErrorCode.PHONE_ALREADY_BOUND);
    return { user, created };
  }

  /** Links the identity to a signed-in user. */
  async link(manager: EntityManager, identity: WechatIdentityEntity, userId: string): Promise<UserEntity> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
    if (identity.userId === userId) return user;
    if (identity.userId) throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    if (await this.belongsToAnotherPerson(manager, user.id, identity)) {
      throw new DomainError(
        ErrorCode.WECHAT_ALREADY_BOUND,
        'Your account is already linked to another WeChat account.',
      );
    }
    await this.attach(manager, identity, user, ErrorCode.WECHAT_ALREADY_BOUND);
    return user;
  }

  /** Removes the user's WeChat identities (and, by cascade, their grants) unless it is their only way in. */
  async unlink(userId: string): Promise<number> {
    return this.database.transaction(async (manager) => {
      const user = await this.users.findById(userId, manager);
      if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
      if (!user.phone) throw new DomainError(ErrorCode.LAST_LOGIN_METHOD);
      const result = await manager.getRepository(WechatIdentityEntity).delete({ userId });
      return result.affected ?? 0;
    });
  }

  private async belongsToAnotherPerson(
    manager: EntityManager,
    userId: string,
    identity: WechatIdentityEntity,
  ): Promise<boolean> {
    const existing = await manager.getRepository(WechatIdentityEntity).find({ where: { userId } });
    // Same app: always someone else (one person has one openid per app). Other apps: the same person
    // only when both sides carry the same unionid; without unionids nobody can tell, so no.
    return existing.some(
      (other) => other.appId === identity.appId || !other.unionid || other.unionid !== identity.unionid,
    );
  }

  private async attach(
    manager: EntityManager,
    identity: WechatIdentityEntity,
    user: UserEntity,
    onRace: ErrorCode,
  ): Promise<void> {
    const now = this.clock.now();
    try {
      const result = await manager
        .createQueryBuilder()
        .update(WechatIdentityEntity)
        .set({ userId: user.id, updatedAt: now })
        .where('id = :id AND user_id IS NULL', { id: identity.id })
        .execute();
      if ((result.affected ?? 0) === 0) throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError(onRace);
      throw error;
    }
    // A user without a profile takes the WeChat one.
    if (!user.nickname && (identity.nickname || identity.avatarUrl)) {
      await manager
        .getRepository(UserEntity)
        .update({ id: user.id }, { nickname: identity.nickname, avatarUrl: identity.avatarUrl, updatedAt: now });
      user.nickname = identity.nickname;
      user.avatarUrl = identity.avatarUrl;
    }
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([WechatIdentityEntity]), UsersModule],
  providers: [AccountLinkingService],
  exports: [AccountLinkingService],
})
export class AccountLinkingModule {}
