import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { TokenCipher } from '../../common/token-cipher';
import type { Sql } from '../../database/sql';
import { WechatApiClient } from '../wechat-api.client';
import { WechatApiError } from '../wechat-errors';
import { LeasedGrant, RefreshedGrant, WechatGrantsRepository } from '../wechat-grants.repository';
import { describeError, errorLabel } from './refresh-errors';

// Errors after which a grant cannot be refreshed again: the user must sign in anew.
const GRANT_DEAD = new Set([40030, 42002, 42007]);
const BACKOFF_BASE_SECONDS = 60;
const BACKOFF_MAX_SECONDS = 3600;

/**
 * One leased grant's refresh and its outcome. Dead grants (40030, 42002, 42007, or a token that
 * cannot be decrypted) become reauth_required; passing failures (-1, 45011, 5xx, timeouts) back off
 * exponentially; both are written at once. New tokens are returned sealed, for the chunk's one write.
 */
export class GrantRefresher {
  private readonly logger = new Logger('TokenRefreshService');

  constructor(
    private readonly grants: WechatGrantsRepository,
    private readonly client: WechatApiClient,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
  ) {}

  async refresh(sql: Sql, grant: LeasedGrant, token: string): Promise<RefreshedGrant | 'failed' | 'reauth'> {
    let refreshToken: string;
    try {
      refreshToken = this.cipher.decrypt(grant.refreshTokenEnc ?? '', grant.keyId, `${grant.id}:refresh`);
    } catch (error) {
      this.logger.error(`grant ${grant.id} cannot be decrypted: ${describeError(error)}`);
      await this.grants.markLeasedReauth(sql, grant.id, token, 'decrypt', this.clock.now());
      return 'reauth';
    }
    try {
      const tokens = await this.client.refresh(grant.appId, refreshToken);
      const profile = await this.profileOf(grant, tokens.accessToken);
      return {
        id: grant.id,
        identityId: grant.identityId,
        accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${grant.id}:access`),
        refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${grant.id}:refresh`),
        scope: tokens.scope || grant.scope,
        accessExpiresAt: new Date(this.clock.nowMs() + tokens.expiresIn * 1000),
        profile,
      };
    } catch (error) {
      if (error instanceof WechatApiError && GRANT_DEAD.has(error.errcode)) {
        await this.grants.markLeasedReauth(sql, grant.id, token, `errcode_${error.errcode}`, this.clock.now());
        return 'reauth';
      }
      const failures = grant.failureCount + 1;
      const delay = Math.min(BACKOFF_BASE_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS);
      const nextAttemptAt = new Date(this.clock.nowMs() + delay * 1000);
      await this.grants.backOff(sql, grant.id, token, failures, nextAttemptAt, errorLabel(error), this.clock.now());
      return 'failed';
    }
  }

  /**
   * One statement for a chunk of refreshed grants (conditional on the pass's lease), then one for
   * their profiles. Returns how many grants were stored.
   */
  async store(sql: Sql, rows: RefreshedGrant[], token: string): Promise<number> {
    const now = this.clock.now();
    const written = await this.grants.storeRefreshed(sql, rows, this.cipher.keyId, token, now);
    const profiled = rows.filter((r) => r.profile);
    if (profiled.length > 0) {
      try {
        await this.grants.storeProfiles(sql, profiled, now);
      } catch (error) {
        this.logger.warn(`profiles of ${profiled.length} identities not stored: ${describeError(error)}`);
      }
    }
    return written;
  }

  // A stale profile is no reason to fail the refresh: failures here are only logged.
  // A unionid that appears here is left for the next login, where the account-linking rules apply.
  private async profileOf(grant: LeasedGrant, accessToken: string): Promise<RefreshedGrant['profile']> {
    try {
      const profile = await this.client.userInfo(grant.appId, accessToken, grant.subject);
      return { nickname: profile.nickname || grant.nickname, avatarUrl: profile.avatarUrl || grant.avatarUrl };
    } catch (error) {
      this.logger.warn(`profile of identity ${grant.identityId} not refreshed: ${errorLabel(error)}`);
      return null;
    }
  }
}
