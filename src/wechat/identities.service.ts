import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { WechatIdentityEntity } from './entities/wechat-identity.entity';
import { TokenCipher } from './token-cipher';
import type { WechatTokens, WechatUserInfo } from './wechat-api.client';

const DAY_MS = 24 * 3600 * 1000;

/**
 * WeChat identities and their grants. A person is keyed on unionid when WeChat gives one, otherwise
 * on (app_id, openid); a unionid that shows up later is attached. Never matched on any profile field.
 */
@Injectable()
export class IdentitiesService {
  private readonly refreshTtlDays: number;

  constructor(
    private readonly database: Database,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.refreshTtlDays = config.get('wechat').refreshTokenTtlDays;
  }

  /**
   * Inserts or updates the identity and its grant, inside the caller's transaction. Race-safe: the
   * unique (app_id, openid) key decides between parallel first logins; losers update the winner's row.
   */
  async upsert(
    manager: EntityManager,
    appId: string,
    tokens: WechatTokens,
    profile: WechatUserInfo,
  ): Promise<WechatIdentityEntity> {
    const now = this.clock.now();
    const identities = manager.getRepository(WechatIdentityEntity);
    const unionid = tokens.unionid ?? profile.unionid ?? null;
    let identity = await identities.findOne({ where: { appId, openid: tokens.openid } });
    if (!identity) {
      const candidate: WechatIdentityEntity = {
        id: newId(),
        appId,
        openid: tokens.openid,
        unionid,
        userId: unionid ? await this.userOfPerson(manager, unionid) : null,
        nickname: profile.nickname || null,
        avatarUrl: profile.avatarUrl || null,
        language: profile.language,
        profileUpdatedAt: now,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await identities.insert({ ...candidate });
        identity = candidate;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        identity = await identities.findOne({
          where: { appId, openid: tokens.openid },
          ...(this.database.dialect === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!identity) throw error;
      }
    }
    const changes: Partial<WechatIdentityEntity> = {
      nickname: profile.nickname || identity.nickname,
      avatarUrl: profile.avatarUrl || identity.avatarUrl,
      language: profile.language ?? identity.language,
      profileUpdatedAt: now,
      updatedAt: now,
    };
    if (unionid && !identity.unionid) {
      changes.unionid = unionid;
      // The same person may already be a user through another app.
      if (!identity.userId) changes.userId = await this.userOfPerson(manager, unionid);
    }
    await identities.update({ id: identity.id }, changes);
    identity = { ...identity, ...changes };
    await this.storeGrant(manager, identity.id, tokens, true);
    return identity;
  }

  /** Stores tokens encrypted; a new grant's refresh token lifetime counts from now, a refresh keeps it. */
  async storeGrant(manager: EntityManager, identityId: string, tokens: WechatTokens, newGrant: boolean): Promise<void> {
    const now = this.clock.now();
    const grants = manager.getRepository(WechatGrantEntity);
    const existing = await grants.findOne({ where: { identityId } });
    const id = existing?.id ?? newId();
    const sealed = {
      accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${id}:access`),
      refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${id}:refresh`),
      keyId: this.cipher.keyId,
      scope: tokens.scope || existing?.scope || null,
      accessExpiresAt: new Date(now.getTime() + tokens.expiresIn * 1000),
      status: 'active' as const,
      failureCount: 0,
      nextAttemptAt: null,
      lastError: null,
      lastRefreshedAt: now,
      updatedAt: now,
    };
    const refreshExpiresAt =
      newGrant || !existing ? new Date(now.getTime() + this.refreshTtlDays * DAY_MS) : existing.refreshExpiresAt;
    if (existing) {
      await grants.update({ id }, { ...sealed, refreshExpiresAt });
      return;
    }
    try {
      await grants.insert({
        id,
        identityId,
        ...sealed,
        refreshExpiresAt,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: now,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A parallel login of the same person stored its grant first; ours is as fresh.
      const winner = await grants.findOne({ where: { identityId } });
      if (winner) {
        await grants.update(
          { id: winner.id },
          {
            ...sealed,
            accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${winner.id}:access`),
            refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${winner.id}:refresh`),
            refreshExpiresAt,
          },
        );
      }
    }
  }

  /** The decrypted tokens of a grant; they stay in memory only. */
  openGrant(grant: WechatGrantEntity): { accessToken: string; refreshToken: string } {
    return {
      accessToken: this.cipher.decrypt(grant.accessTokenEnc ?? '', grant.keyId, `${grant.id}:access`),
      refreshToken: this.cipher.decrypt(grant.refreshTokenEnc ?? '', grant.keyId, `${grant.id}:refresh`),
    };
  }

  async markReauthRequired(grantId: string, errcode: number): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(WechatGrantEntity)
        .update(
          { id: grantId },
          { status: 'reauth_required', lastError: `errcode_${errcode}`, updatedAt: this.clock.now() },
        ),
    );
  }

  forUser(userId: string, manager: EntityManager = this.database.dataSource.manager): Promise<WechatIdentityEntity[]> {
    return manager.getRepository(WechatIdentityEntity).find({ where: { userId }, order: { updatedAt: 'DESC' } });
  }

  async grantsFor(identityIds: string[]): Promise<WechatGrantEntity[]> {
    if (identityIds.length === 0) return [];
    return this.database.dataSource.manager
      .getRepository(WechatGrantEntity)
      .find({ where: { identityId: In(identityIds) } });
  }

  findById(
    id: string,
    manager: EntityManager = this.database.dataSource.manager,
  ): Promise<WechatIdentityEntity | null> {
    return manager.getRepository(WechatIdentityEntity).findOne({ where: { id } });
  }

  private async userOfPerson(manager: EntityManager, unionid: string): Promise<string | null> {
    const sibling = await manager
      .getRepository(WechatIdentityEntity)
      .createQueryBuilder('i')
      .where('i.unionid = :unionid AND i.user_id IS NOT NULL', { unionid })
      .getOne();
    return sibling?.userId ?? null;
  }
}
