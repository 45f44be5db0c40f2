import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { TokenCipher } from '../common/token-cipher';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { IdentityEntity } from './identity.entity';
import type { IdentityProviderName, VerifiedIdentity } from './verified-identity';

/**
 * Identities as data: one row per (provider, app_id, subject). Who they belong to is decided by
 * AccountLinkingService; this class only stores what the provider verified.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly database: Database,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
  ) {}

  /**
   * Inserts or refreshes the identity inside the caller's transaction; the unique key decides between
   * parallel first logins (losers update the winner's row). The unionid is left to the caller.
   */
  async upsert(manager: EntityManager, verified: VerifiedIdentity): Promise<IdentityEntity> {
    const now = this.clock.now();
    const repo = manager.getRepository(IdentityEntity);
    const key = { provider: verified.provider, appId: verified.appId, subject: verified.subject };
    let identity = await repo.findOne({ where: key });
    if (!identity) {
      const candidate: IdentityEntity = {
        id: newId(),
        ...key,
        unionid: null,
        channel: verified.channel,
        userId: null,
        nickname: verified.profile.nickname || null,
        avatarUrl: verified.profile.avatarUrl || null,
        email: verified.profile.email || null,
        language: verified.profile.language ?? null,
        secretEnc: null,
        secretKeyId: null,
        profileUpdatedAt: now,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await repo.insert({ ...candidate });
        identity = candidate;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        identity = await repo.findOne({
          where: key,
          ...(this.database.dialect === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!identity) throw error;
      }
    }
    const changes: Partial<IdentityEntity> = {
      nickname: verified.profile.nickname || identity.nickname,
      avatarUrl: verified.profile.avatarUrl || identity.avatarUrl,
      email: verified.profile.email || identity.email,
      language: verified.profile.language ?? identity.language,
      profileUpdatedAt: now,
      updatedAt: now,
    };
    if (verified.secret) {
      changes.secretEnc = this.cipher.encrypt(verified.secret, `${identity.id}:secret`);
      changes.secretKeyId = this.cipher.keyId;
    }
    await repo.update({ id: identity.id }, changes);
    return { ...identity, ...changes };
  }

  /** The identity's kept credential (session_key, Apple refresh token), decrypted; memory only. */
  openSecret(identity: IdentityEntity): string | null {
    if (!identity.secretEnc || !identity.secretKeyId) return null;
    return this.cipher.decrypt(identity.secretEnc, identity.secretKeyId, `${identity.id}:secret`);
  }

  findById(id: string, manager: EntityManager = this.database.dataSource.manager): Promise<IdentityEntity | null> {
    return manager.getRepository(IdentityEntity).findOne({ where: { id } });
  }

  forUser(userId: string, manager: EntityManager = this.database.dataSource.manager): Promise<IdentityEntity[]> {
    return manager.getRepository(IdentityEntity).find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  /** Users (other than `exceptIdentityId`'s row) holding a provider's unionid. */
  async holdersOf(
    manager: EntityManager,
    provider: IdentityProviderName,
    unionid: string,
    exceptIdentityId: string,
  ): Promise<string[]> {
    const rows = await manager
      .getRepository(IdentityEntity)
      .createQueryBuilder('i')
      .where('i.provider = :provider AND i.unionid = :unionid AND i.user_id IS NOT NULL AND i.id <> :id', {
        provider,
        unionid,
        id: exceptIdentityId,
      })
      .getMany();
    return [...new Set(rows.map((r) => r.userId!))];
  }
}
