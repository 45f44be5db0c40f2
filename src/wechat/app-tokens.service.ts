import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { TokenCipher } from '../common/token-cipher';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { WechatAppTokenEntity } from './entities/wechat-app-token.entity';
import { WechatApiClient } from './wechat-api.client';
import { WechatAppTokensRepository } from './wechat-app-tokens.repository';

// Refreshed this long before WeChat's expiry; a holder of the lease has this long to finish.
const REFRESH_AHEAD_MS = 5 * 60 * 1000;
const LEASE_MS = 15_000;
const WAIT_STEP_MS = 100;

/**
 * The app-level access token of each WeChat app (`stable_token`), kept encrypted in the database so
 * that every instance shares one, and refreshed by one instance at a time under a lease. Never
 * force-refreshed in a loop: a token WeChat refuses is fetched again once, without force.
 */
@Injectable()
export class AppTokensService {
  private readonly instanceId = `apptoken-${randomUUID()}`;

  constructor(
    private readonly tokens: WechatAppTokensRepository,
    private readonly client: WechatApiClient,
    private readonly cipher: TokenCipher,
    private readonly clock: Clock,
  ) {}

  /** A live token; `stale` is the one WeChat just refused (fetch another unless someone already did). */
  async tokenFor(appId: string, stale: string | null = null): Promise<string> {
    const deadline = Date.now() + LEASE_MS;
    for (;;) {
      const seen = await this.look(appId, stale);
      if (seen.fresh !== null) return seen.fresh;
      if (await this.takeLease(appId)) {
        // Another instance may have refreshed and let go of the lease between our look and our take.
        const settled = (await this.look(appId, stale)).fresh;
        if (settled === null) return this.refresh(appId);
        await this.releaseLease(appId);
        return settled;
      }
      // Another instance is refreshing: wait for its token (an unexpired older one will do meanwhile).
      if (seen.usable !== null) return seen.usable;
      if (Date.now() >= deadline) throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  }

  /** The stored token when it is not `stale`: `fresh` when outside the refresh window, `usable` until it expires. */
  private async look(appId: string, stale: string | null): Promise<{ fresh: string | null; usable: string | null }> {
    const row = await this.tokens.find(appId);
    const current = row ? this.open(row) : null;
    if (current === null || current === stale) return { fresh: null, usable: null };
    const expiresAt = row!.expiresAt!.getTime();
    const now = this.clock.nowMs();
    return { fresh: expiresAt - REFRESH_AHEAD_MS > now ? current : null, usable: expiresAt > now ? current : null };
  }

  private releaseLease(appId: string): Promise<void> {
    return this.tokens.releaseLease(appId, this.instanceId);
  }

  private open(row: WechatAppTokenEntity): string | null {
    if (!row.tokenEnc || !row.keyId || !row.expiresAt) return null;
    return this.cipher.decrypt(row.tokenEnc, row.keyId, `${row.appId}:app-token`);
  }

  /** One conditional UPDATE (or the first INSERT) decides which instance refreshes. */
  private async takeLease(appId: string): Promise<boolean> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + LEASE_MS);
    return this.tokens.claimLease(appId, this.instanceId, until, now);
  }

  private async refresh(appId: string): Promise<string> {
    try {
      const { accessToken, expiresIn } = await this.client.stableToken(appId);
      const now = this.clock.now();
      await this.tokens.storeToken(
        appId,
        {
          tokenEnc: this.cipher.encrypt(accessToken, `${appId}:app-token`),
          keyId: this.cipher.keyId,
          expiresAt: new Date(now.getTime() + expiresIn * 1000),
        },
        now,
      );
      return accessToken;
    } catch (error) {
      await this.releaseLease(appId).catch(() => undefined);
      throw error;
    }
  }
}
