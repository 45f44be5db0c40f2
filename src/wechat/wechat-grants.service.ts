import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { sqlIn } from '../database/sql';
import type { GrantRef } from '../identities/identities.service';
import { isUniqueViolation } from '../database/rate-limits';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { TokenCipher } from '../common/token-cipher';
import type { WechatTokens } from './wechat-api.client';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The WeChat user grants (access + refresh token, encrypted) of the identities that have one: native
 * apps and official accounts (kept alive by the refresh job) and websites (left to expire).
 */
@Injectable()
export class WechatGrantsService {
  private readonly refreshTtlDays: number;

  constructor(
    private readonly database: Database,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.refreshTtlDays = config.get('wechat').refreshTokenTtlDays;
  }

  /** Stores tokens encrypted; a new grant's refresh token lifetime counts from now, a refresh keeps it. */
  async storeGrant(
    manager: EntityManager,
    identityId: string,
    tokens: WechatTokens,
    newGrant: boolean,
    refreshMode: 'auto' | 'off' = 'auto',
    known?: GrantRef | null,
  ): Promise<void> {
    const now = this.clock.now();
    if (known) return this.refreshInPlace(manager, known, tokens, newGrant, refreshMode, now);
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
      ...(newGrant ? { refreshMode } : {}),
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
        refreshMode,
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

  /** A grant the caller has read (sign-in): one UPDATE with the new tokens, sealed for its id. */
  private async refreshInPlace(
    manager: EntityManager,
    known: GrantRef,
    tokens: WechatTokens,
    newGrant: boolean,
    refreshMode: 'auto' | 'off',
    now: Date,
  ): Promise<void> {
    const refreshExpiresAt = newGrant ? new Date(now.getTime() + this.refreshTtlDays * DAY_MS) : known.refreshExpiresAt;
    await sqlIn(manager).run(
      'UPDATE wechat_grants SET access_token_enc = ?, refresh_token_enc = ?, key_id = ?, scope = ?, access_expires_at = ?, ' +
        "refresh_expires_at = ?, status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL, " +
        `last_refreshed_at = ?, updated_at = ?${newGrant ? ', refresh_mode = ?' : ''} WHERE id = ?`,
      [
        this.cipher.encrypt(tokens.accessToken, `${known.id}:access`),
        this.cipher.encrypt(tokens.refreshToken, `${known.id}:refresh`),
        this.cipher.keyId,
        tokens.scope || known.scope || null,
        new Date(now.getTime() + tokens.expiresIn * 1000),
        refreshExpiresAt,
        now,
        now,
        ...(newGrant ? [refreshMode] : []),
        known.id,
      ],
    );
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

  async grantsFor(identityIds: string[]): Promise<WechatGrantEntity[]> {
    if (identityIds.length === 0) return [];
    return this.database.dataSource.manager
      .getRepository(WechatGrantEntity)
      .find({ where: { identityId: In(identityIds) } });
  }
}
