import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { TokenCipher } from '../common/token-cipher';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { IdentityEntity } from './identity.entity';
import type { IdentityProviderName, VerifiedIdentity } from './verified-identity';
import { parseDbDate } from '../database/rate-limits';
import { Sql, sqlIn } from '../database/sql';
import type { UserEntity } from '../users/user.entity';
import { USER_COLUMNS_AS_U, userFromJoinedRow } from '../users/user-row';

/** A WeChat grant as sign-in sees it (to refresh it in place). */
export interface GrantRef {
  id: string;
  scope: string | null;
  refreshExpiresAt: Date;
}

/** An identity as read for a sign-in, with what the rest of that sign-in needs. */
export interface SignInIdentity extends IdentityEntity {
  /** Its user as read with it (null: none yet). */
  owner: UserEntity | null;
  /** Another user holding the verified unionid at this provider (null: none; undefined: not asked). */
  otherHolder: string | null | undefined;
  /** Its WeChat grant, if any. */
  grant: GrantRef | null;
}

const IDENTITY_COLUMNS =
  'i.id, i.provider, i.app_id, i.subject, i.unionid, i.channel, i.user_id, i.nickname, i.avatar_url, i.email, ' +
  'i.language, i.secret_enc, i.secret_key_id, i.profile_updated_at, i.created_at, i.updated_at';

function identityFromRow(row: Record<string, unknown>): IdentityEntity {
  const date = (value: unknown): Date | null =>
    value === null || value === undefined ? null : parseDbDate(value as Date | string);
  return {
    id: row.id as string,
    provider: row.provider as IdentityProviderName,
    appId: row.app_id as string,
    subject: row.subject as string,
    unionid: (row.unionid as string | null) ?? null,
    channel: (row.channel as IdentityEntity['channel']) ?? null,
    userId: (row.user_id as string | null) ?? null,
    nickname: (row.nickname as string | null) ?? null,
    avatarUrl: (row.avatar_url as string | null) ?? null,
    email: (row.email as string | null) ?? null,
    language: (row.language as string | null) ?? null,
    secretEnc: (row.secret_enc as string | null) ?? null,
    secretKeyId: (row.secret_key_id as string | null) ?? null,
    profileUpdatedAt: date(row.profile_updated_at),
    createdAt: date(row.created_at)!,
    updatedAt: date(row.updated_at)!,
  } as IdentityEntity;
}

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
        await manager.getRepository(IdentityEntity).insert({ ...candidate });
        known = { ...candidate, owner: null, otherHolder: undefined, grant: null };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        known = await this.read(sql, verified, this.database.dialect === 'mysql');
        if (!known) throw error;
      }
    }
    const changes: Partial<IdentityEntity> = {
      nickname: verified.profile.nickname || known.nickname,
      avatarUrl: verified.profile.avatarUrl || known.avatarUrl,
      email: verified.profile.email || known.email,
      language: verified.profile.language ?? known.language,
    };
    const changed = (Object.keys(changes) as (keyof IdentityEntity)[]).some((key) => changes[key] !== known![key]);
    if (verified.secret) {
      changes.secretEnc = this.cipher.encrypt(verified.secret, `${known.id}:secret`);
      changes.secretKeyId = this.cipher.keyId;
    }
    if (!changed && !verified.secret) return known;
    Object.assign(changes, { profileUpdatedAt: now, updatedAt: now });
    await manager.getRepository(IdentityEntity).update({ id: known.id }, changes);
    return { ...known, ...changes };
  }

  /** The identity with what sign-in needs of its surroundings, in one statement; null when unknown. */
  private async read(sql: Sql, verified: VerifiedIdentity, lock: boolean): Promise<SignInIdentity | null> {
    const rows = await sql.rows<Record<string, unknown>>(
      `SELECT ${IDENTITY_COLUMNS}, ${USER_COLUMNS_AS_U}, g.id AS g_id, g.scope AS g_scope, ` +
        'g.refresh_expires_at AS g_refresh_expires_at, ' +
        '(SELECT MIN(o.user_id) FROM identities o WHERE o.provider = i.provider AND o.unionid = ? AND o.id <> i.id ' +
        'AND o.user_id IS NOT NULL AND (i.user_id IS NULL OR o.user_id <> i.user_id)) AS other_holder ' +
        'FROM identities i LEFT JOIN users u ON u.id = i.user_id LEFT JOIN wechat_grants g ON g.identity_id = i.id ' +
        `WHERE i.provider = ? AND i.app_id = ? AND i.subject = ?${lock ? ' FOR UPDATE' : ''}`,
      [verified.unionid, verified.provider, verified.appId, verified.subject],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      ...identityFromRow(row),
      owner: userFromJoinedRow(row),
      otherHolder: verified.unionid ? ((row.other_holder as string | null) ?? null) : undefined,
      grant: row.g_id
        ? {
            id: row.g_id as string,
            scope: (row.g_scope as string | null) ?? null,
            refreshExpiresAt: parseDbDate(row.g_refresh_expires_at as Date | string),
          }
        : null,
    };
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
