import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { TokenCipher } from '../common/token-cipher';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { CodeExchangesService } from './code-exchanges.service';
import { ConnectorRegistry } from './connector-registry';
import { ConnectorAnswer, ConnectorStrategy, VerificationIncomplete, VerifyRequest } from './connector.strategy';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateStore } from './login-state.store';

/** What the client brought with a code: the code itself is read by the connector (`codeOf`). */
export interface CodeRequest {
  state?: string | null;
  appId?: string | null;
  deviceId?: string | null;
}

/** Who is asking: a login, or a signed-in user linking the provider. */
export type Purpose = { kind: 'login' } | { kind: 'link'; userId: string };

/** The GraphQL request, on which Passport runs the connector. */
export interface HttpPair {
  req: Request;
  res: Response;
}

/** A fresh verification of a code, or the record of the code's first use. */
export type Authorized =
  | { kind: 'fresh'; exchangeId: string | null; appId: string; answer: ConnectorAnswer }
  | { kind: 'known'; record: CodeExchangeEntity };

/**
 * The first half of every login: one record per single-use code (CodeExchangesService: claimed with
 * its state in one statement), then the connector's Passport strategy. A code seen before is never
 * sent to the provider again, except to retry a failure that passes, from the same device.
 */
@Injectable()
export class ConnectorVerification {
  private readonly settleWaitMs: number;

  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly exchanges: CodeExchangesService,
    private readonly cipher: TokenCipher,
    config: AppConfig,
  ) {
    // Long enough for the request holding a code to finish its provider calls and transaction.
    this.settleWaitMs = config.get('wechat').budgetMs * 2 + 2000;
  }

  /** `input` is what the client brought: its code (read by the connector), state, app and device. */
  async authorize(
    connector: ConnectorStrategy,
    input: CodeRequest,
    purpose: Purpose,
    http: HttpPair,
  ): Promise<Authorized> {
    const code = connector.codeOf(input);
    if (code === null)
      return { kind: 'fresh', exchangeId: null, ...(await this.verifyWithoutCode(connector, input, http)) };
    const state = connector.usesState ? input.state : null;
    if (state && state.length > LoginStateStore.MAX_STATE_LENGTH) throw new DomainError(ErrorCode.STATE_INVALID);
    // The app: the caller's if named, else the one the state was issued for (read by the claim).
    const named = this.namedApp(connector, input.appId);
    const codeHash = this.exchanges.hash(code);
    const claimed = await this.exchanges.claim(codeHash, state, {
      appId: named ?? (state ? null : this.defaultApp(connector)),
      deviceId: input.deviceId ?? null,
      purpose: purpose.kind,
      userId: purpose.kind === 'link' ? purpose.userId : null,
      stateless: !connector.usesState,
    });
    if (claimed.kind === 'state-invalid') throw new DomainError(ErrorCode.STATE_INVALID);
    if (claimed.kind === 'claimed') {
      const appId = await this.ownApp(connector, claimed.id, claimed.appId);
      return {
        kind: 'fresh',
        exchangeId: claimed.id,
        appId,
        answer: await this.verify(connector, claimed.id, appId, input, null, http),
      };
    }
    if (connector.replays === 'refuse') throw new DomainError(connector.errors.codeInvalid);

    // Seen before. Another request may hold this code right now: wait for its outcome and answer like it.
    let seen: CodeExchangeEntity | null = claimed.record;
    if (seen.status === 'pending') seen = await this.exchanges.settled(seen.appId, codeHash, this.settleWaitMs);
    if (!seen) throw new DomainError(connector.errors.unavailable);
    const retry =
      seen.status === 'failed' &&
      connector.errors.retryable.includes(seen.errorCode as ErrorCode) &&
      sameDevice(seen.deviceId, input.deviceId);
    if (!retry || !(await this.exchanges.reclaimFailed(seen))) return { kind: 'known', record: seen };
    const appId = await this.ownApp(connector, seen.id, seen.appId);
    const answer = await this.verify(connector, seen.id, appId, input, this.openKept(seen), http);
    return { kind: 'fresh', exchangeId: seen.id, appId, answer };
  }

  /** Runs the connector; a failure settles the code record (with what the provider gave, when it gave something). */
  private async verify(
    connector: ConnectorStrategy,
    exchangeId: string,
    appId: string,
    input: unknown,
    resumed: unknown,
    http: HttpPair,
  ): Promise<ConnectorAnswer> {
    try {
      return await this.run<ConnectorAnswer>(connector, http, { input, appId, resumed });
    } catch (error) {
      const kept = error instanceof VerificationIncomplete ? error.kept : null;
      const mapped = connector.toDomainError(error instanceof VerificationIncomplete ? error.cause : error);
      await this.exchanges.fail(exchangeId, mapped.code, kept ? this.seal(exchangeId, kept) : null);
      throw mapped;
    }
  }

  /** Tokens rather than codes (QQ's mobile SDK): nothing single-use to keep a record of. */
  private async verifyWithoutCode(
    connector: ConnectorStrategy,
    input: CodeRequest,
    http: HttpPair,
  ): Promise<{ appId: string; answer: ConnectorAnswer }> {
    const appId = this.namedApp(connector, input.appId) ?? this.defaultApp(connector);
    try {
      return { appId, answer: await this.run<ConnectorAnswer>(connector, http, { input, appId }) };
    } catch (error) {
      throw connector.toDomainError(error);
    }
  }

  /** Runs a connector's Passport strategy on the GraphQL request and resolves with what it verified. */
  run<T>(connector: ConnectorStrategy, { req, res }: HttpPair, request: VerifyRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const middleware = this.registry.passport.authenticate(
        connector.name,
        { session: false, ...request } as object,
        (error: unknown, answer: T | false) => {
          if (error) reject(error);
          else if (answer) resolve(answer);
          else reject(new Error(`${connector.name} verified nothing`));
        },
      ) as unknown as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      middleware(req, res, (error) => reject(error ?? new Error(`${connector.name} did not finish`)));
    });
  }

  private namedApp(connector: ConnectorStrategy, appId: string | null | undefined): string | null {
    if (!appId) return null;
    const app = connector.appFor(appId);
    if (!app) throw DomainError.badInput('appId', `not a configured ${connector.provider} app`);
    return app;
  }

  private defaultApp(connector: ConnectorStrategy): string {
    const app = connector.appFor(null);
    if (!app) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${connector.name} is not configured.`);
    return app;
  }

  /** The app a claimed code is for must be this connector's: a state issued for another connector is spent for nothing. */
  private async ownApp(connector: ConnectorStrategy, exchangeId: string, appId: string): Promise<string> {
    if (connector.appFor(appId) === appId) return appId;
    await this.exchanges.fail(exchangeId, ErrorCode.STATE_INVALID, null);
    throw new DomainError(ErrorCode.STATE_INVALID);
  }

  private seal(exchangeId: string, kept: unknown): { resultEnc: string; resultKeyId: string } {
    return {
      resultEnc: this.cipher.encrypt(JSON.stringify(kept), `${exchangeId}:result`),
      resultKeyId: this.cipher.keyId,
    };
  }

  private openKept(record: CodeExchangeEntity): unknown {
    if (!record.resultEnc || !record.resultKeyId) return null;
    return JSON.parse(this.cipher.decrypt(record.resultEnc, record.resultKeyId, `${record.id}:result`)) as unknown;
  }
}

/** Only a device the caller named is "the same": null never equals null here. */
export function sameDevice(recorded: string | null, given: string | null | undefined): boolean {
  return recorded !== null && recorded === (given ?? null);
}
