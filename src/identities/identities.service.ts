import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { TokenCipher } from '../common/token-cipher';
import { isUniqueViolation } from '../database/database-errors';
import { Sql, sqlIn } from '../database/sql';
import type { UserEntity } from '../users/user.entity';
import { GrantRef, IdentitiesRepository, IdentityProfile } from './identities.repository';
import { IdentityEntity } from './identity.entity';
import type { IdentityProviderName, VerifiedIdentity } from './verified-identity';

export type { GrantRef } from './identities.repository';

/** An identity as read for a sign-in, with what the rest of that sign-in needs. */
export interface SignInIdentity extends IdentityEntity {
  /** Its user as read with it (null: none yet). */
  owner: UserEntity | null;
  /** Another user holding the verified unionid at this provider (null: none; undefined: not asked). */
  otherHolder: string | null | undefined;
  /** Its WeChat grant, if any. */
  grant: GrantRef | null;
}

/**
 * Identities as data: one row per (provider, app_id, subject). Who they belong to is decided by
 * AccountLinkingService; this class only stores what the provider verified.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly repository: IdentitiesRepository,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
  ) {}

  /**
   * Inserts or refreshes the identity inside the caller's transaction; the unique key decides between
   * parallel first logins (losers update the winner's row). The unionid is left to the caller.
   * A returning identity costs one read (with its user, its WeChat grant, and any other user holding
   * the verified unionid, which the linking rules need) and a write only when the profile changed.
   */
  async upsert(manager: EntityManager, verified: VerifiedIdentity): Promise<SignInIdentity> {
    const now = this.clock.now();
    const sql = sqlIn(manager);
    let known = await this.read(sql, verified, false);
    if (!known) {
      const candidate: IdentityEntity = {
        id: newId(),
        provider: verified.provider,
        appId: verified.appId,
        subject: verified.subject,
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
        await this.repository.insert(sql, candidate);
        known = { ...candidate, owner: null, otherHolder: undefined, grant: null };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        known = await this.read(sql, verified, true);
        if (!known) throw error;
      }
    }
    const profile: IdentityProfile = {
      nickname: verified.profile.nickname || known.nickname,
      avatarUrl: verified.profile.avatarUrl || known.avatarUrl,
      email: verified.profile.email || known.email,
      language: verified.profile.language ?? known.language,
    };
    const changed = (['nickname', 'avatarUrl', 'email', 'language'] as const).some(
      (key) => profile[key] !== known![key],
    );
    if (verified.secret) {
      profile.secret = {
        secretEnc: this.cipher.encrypt(verified.secret, `${known.id}:secret`),
        secretKeyId: this.cipher.keyId,
      };
    }
    if (!changed && !verified.secret) return known;
    await this.repository.updateProfile(sql, known.id, profile, now);
    const { secret, ...columns } = profile;
    return { ...known, ...columns, ...(secret ?? {}), profileUpdatedAt: now, updatedAt: now };
  }

  /** The identity with what sign-in needs of its surroundings, in one statement; null when unknown. */
  private async read(sql: Sql, verified: VerifiedIdentity, afterRace: boolean): Promise<SignInIdentity | null> {
    const found = await this.repository.findForSignIn(sql, verified, verified.unionid ?? null, afterRace);
    if (!found) return null;
    return {
      ...found.identity,
      owner: found.owner,
      otherHolder: verified.unionid ? found.otherHolder : undefined,
      grant: found.grant,
    };
  }

  /** The identity's kept credential (session_key, Apple refresh token), decrypted; memory only. */
  openSecret(identity: Pick<IdentityEntity, 'id' | 'secretEnc' | 'secretKeyId'>): string | null {
    if (!identity.secretEnc || !identity.secretKeyId) return null;
    return this.cipher.decrypt(identity.secretEnc, identity.secretKeyId, `${identity.id}:secret`);
  }

  findById(id: string, manager?: EntityManager): Promise<IdentityEntity | null> {
    return this.repository.findById(id, manager);
  }

  forUser(userId: string, manager?: EntityManager): Promise<IdentityEntity[]> {
    return this.repository.findOfUser(userId, manager);
  }

  /** Users (other than `exceptIdentityId`'s row) holding a provider's unionid. */
  holdersOf(
    manager: EntityManager,
    provider: IdentityProviderName,
    unionid: string,
    exceptIdentityId: string,
  ): Promise<string[]> {
    return this.repository.holdersOf(manager, provider, unionid, exceptIdentityId);
  }
}
