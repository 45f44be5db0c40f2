import { Injectable } from '@nestjs/common';
import passport from 'passport';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { CodeExchangesService } from './code-exchanges.service';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { WechatApiClient } from './wechat-api.client';
import { toDomainError } from './wechat-errors';
import { StateFailure, WechatAuthContext, WechatAuthorization, WechatAuthRequest } from './wechat.strategy';

export interface CodeInput {
  code: string;
  state?: string | null;
  deviceId?: string | null;
  appId?: string | null;
}

/** What a guarded WeChat mutation gets: a fresh authorization, or the record of this code's first use. */
export type WechatAuthOutcome =
  { kind: 'fresh'; auth: WechatAuthorization } | { kind: 'known'; record: CodeExchangeEntity };

const MAX_CODE_LENGTH = 256;
// Errors after which the same device may try the same code again (WeChat may not have used it).
const RETRYABLE = new Set<string>([ErrorCode.WECHAT_UNAVAILABLE, ErrorCode.WECHAT_RATE_LIMITED]);

/**
 * Runs the `wechat` Passport strategy for one code, after the idempotency check: a code seen before
 * is never sent to WeChat again, except to retry an exchange that failed for a passing reason.
 */
@Injectable()
export class WechatAuthorizer {
  constructor(
    private readonly client: WechatApiClient,
    private readonly exchanges: CodeExchangesService,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  // Long enough for the request holding a code to finish its WeChat calls and transaction.
  private get settleWaitMs(): number {
    return this.config.get('wechat').budgetMs * 2 + 2000;
  }

  resolveApp(appId: string | null | undefined): string {
    if (!appId) return this.client.appIds[0];
    if (!this.client.hasApp(appId)) throw DomainError.badInput('appId', 'not a configured WeChat app');
    return appId;
  }

  async authorize(
    input: CodeInput,
    purpose: 'login' | 'link',
    userId: string | null,
    ip: string | null = null,
  ): Promise<WechatAuthOutcome> {
    try {
      return await this.authorizeCode(input, purpose, userId);
    } catch (error) {
      if (error instanceof DomainError) {
        await this.audit.record({
          action: purpose === 'login' ? 'login.failed' : 'wechat.link_failed',
          actorUserId: userId,
          ip,
          details: {
            method: 'WECHAT',
            code: error.code,
            ...(error.details.wechatErrcode !== undefined ? { wechatErrcode: error.details.wechatErrcode } : {}),
          },
        });
      }
      throw error;
    }
  }

  private async authorizeCode(
    input: CodeInput,
    purpose: 'login' | 'link',
    userId: string | null,
  ): Promise<WechatAuthOutcome> {
    if (typeof input.code !== 'string' || input.code.trim() === '' || input.code.length > MAX_CODE_LENGTH) {
      throw DomainError.badInput('code', 'not a WeChat authorization code');
    }
    if (input.deviceId && input.deviceId.length > 128) throw DomainError.badInput('deviceId', 'at most 128 characters');
    if (input.state && input.state.length > 1024) throw new DomainError(ErrorCode.STATE_INVALID);
    const appId = this.resolveApp(input.appId);
    const codeHash = this.exchanges.hash(input.code);
    const context: WechatAuthContext = { appId, deviceId: input.deviceId ?? null, purpose, userId };

    let seen = await this.exchanges.find(appId, codeHash);
    // Another request holds this code right now: wait for its outcome and answer like it.
    if (seen?.status === 'pending') seen = await this.exchanges.settled(appId, codeHash, this.settleWaitMs);
    if (seen) {
      const retry =
        seen.status === 'failed' && RETRYABLE.has(seen.errorCode ?? '') && seen.deviceId === context.deviceId;
      if (!retry || !(await this.exchanges.reclaimFailed(seen))) return { kind: 'known', record: seen };
      context.reclaimedExchangeId = seen.id;
    }

    const result = await this.runStrategy(input, context);
    if ('auth' in result) return { kind: 'fresh', auth: result.auth };
    if ('failure' in result) {
      if (result.failure.reason === 'state') throw new DomainError(ErrorCode.STATE_INVALID);
      const settled = await this.exchanges.settled(appId, codeHash, this.settleWaitMs);
      if (!settled) throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
      return { kind: 'known', record: settled };
    }
    const mapped = toDomainError(result.error);
    if (context.exchangeId) await this.exchanges.fail(context.exchangeId, mapped.code);
    throw mapped;
  }

  private runStrategy(
    input: CodeInput,
    context: WechatAuthContext,
  ): Promise<{ auth: WechatAuthorization } | { failure: StateFailure } | { error: unknown }> {
    const req: WechatAuthRequest = {
      headers: {},
      query: { code: input.code, ...(input.state ? { state: input.state } : {}) },
      body: {},
      wechat: context,
    };
    return new Promise((resolve) => {
      const authenticate = passport.authenticate(
        'wechat',
        { session: false, appId: context.appId } as passport.AuthenticateOptions,
        (error: unknown, user: WechatAuthorization | false, info: StateFailure | undefined) => {
          if (error) resolve({ error });
          else if (user) resolve({ auth: user });
          else resolve({ failure: info ?? { reason: 'state' } });
        },
      ) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      authenticate(req, {}, (error) => resolve({ error }));
    });
  }
}
