import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config.service';
import type { GrantRef } from '../identities/identities.service';
import { isUniqueViolation } from '../database/database-errors';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { TokenCipher } from '../common/token-cipher';
import type { WechatTokens } from './wechat-api.client';
import { WechatGrantsRepository } from './wechat-grants.repository';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The WeChat user grants (access + refresh token, encrypted) of the identities that have one: native
 * apps and official accounts (kept alive by the refresh job) and websites (left to expire).
 */
@Injectable()
export class WechatGrantsService {
  private readonly refreshTtlDays: number;

  constructor(
    private readonly grants: WechatGrantsRepository,
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
    const grants = this.grants;
    const existing = await grants.findByIdentity(manager, identityId);
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
      await grants.update(manager, id, { ...sealed, refreshExpiresAt });
      return;
    }
    try {
      await grants.insert(manager, {
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
      const winner = await grants.findByIdentity(manager, identityId);
      if (winner) {
        await grants.update(manager, winner.id, {
          ...sealed,
          accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${winner.id}:access`),
          refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${winner.id}:refresh`),
          refreshExpiresAt,
        });
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
    await this.grants.refreshKnown(
      manager,
      {
        id: known.id,
        accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${known.id}:access`),
        refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${known.id}:refresh`),
        keyId: this.cipher.keyId,
        scope: tokens.scope || known.scope || null,
        accessExpiresAt: new Date(now.getTime() + tokens.expiresIn * 1000),
        refreshExpiresAt,
        ...(newGrant ? { refreshMode } : {}),
      },
      now,
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
    await this.grants.markReauthRequired(grantId, `errcode_${errcode}`, this.clock.now());
  }

  grantsFor(identityIds: string[]): Promise<WechatGrantEntity[]> {
    return this.grants.findForIdentities(identityIds);
  }
}
