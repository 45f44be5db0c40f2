import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { sha256Hex } from '../common/secrets';
import { isUniqueViolation } from '../database/database-errors';
import { CodeExchangesRepository, NewCodeRecord } from './code-exchanges.repository';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateStore, StateClaim } from './login-state.store';

/** How long a code's idempotency record answers for it (the longest code lifetime documented). */
export const CODE_RECORD_TTL_MS = 10 * 60 * 1000;
const POLL_MS = 50;

export type ClaimResult =
  | { kind: 'claimed'; id: string; appId: string }
  | { kind: 'seen'; record: CodeExchangeEntity }
  | { kind: 'state-invalid' };

export interface CodeClaim extends Omit<StateClaim, 'appId'> {
  /** The app the code must belong to: the caller's, or (null) whichever app the state was issued for. */
  appId: string | null;
  /** Mini-program js codes: no state is involved. */
  stateless?: boolean;
}

/**
 * The idempotency record of each WeChat code (table code_exchanges, unique per app and code hash).
 * The first request for a code claims it and checks its state in one transaction; any later
 * request for the same code finds the record instead of calling WeChat again.
 */
@Injectable()
export class CodeExchangesService {
  constructor(
    private readonly repository: CodeExchangesRepository,
    private readonly clock: Clock,
    private readonly states: LoginStateStore,
  ) {}

  hash(code: string): string {
    return sha256Hex(code);
  }

  find(appId: string, codeHash: string): Promise<CodeExchangeEntity | null> {
    return this.repository.findByCode(appId, codeHash);
  }

  /**
   * Claims an unseen code and spends its state in one statement, an insert from a select that copies the
   * state's app and succeeds only for a spendable state (CodeExchangesRepository.claimWithState); the unique keys
   * (app, code) and (state) make a second claim of either fail. A code that cannot be claimed is
   * looked up: seen before (the caller answers as for that record), or else the state was invalid.
   */
  async claim(codeHash: string, state: string | null | undefined, claim: CodeClaim): Promise<ClaimResult> {
    const now = this.clock.now();
    const record: NewCodeRecord = {
      id: newId(),
      codeHash,
      deviceId: claim.deviceId,
      now,
      expiresAt: new Date(now.getTime() + CODE_RECORD_TTL_MS),
    };
    const withoutState = claim.stateless || state === undefined || state === null || state === '';
    try {
      if (withoutState) {
        if (!claim.stateless && !this.states.missingStateAllowed(claim.purpose)) return this.seenOr(codeHash, claim);
        if (!claim.appId) throw new Error('a claim without a state names its app');
        await this.repository.insertStateless(claim.appId, record);
        return { kind: 'claimed', id: record.id, appId: claim.appId };
      }
      if (state!.length > LoginStateStore.MAX_STATE_LENGTH) return this.seenOr(codeHash, claim);
      const appId = await this.repository.claimWithState(record, {
        stateHash: sha256Hex(state!),
        purpose: claim.purpose,
        deviceId: claim.deviceId,
        userId: claim.userId,
        appId: claim.appId,
      });
      return appId ? { kind: 'claimed', id: record.id, appId } : this.seenOr(codeHash, claim);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.seenOr(codeHash, claim);
    }
  }

  /** After a failed claim: the record of this code if it was seen, else the state was not spendable. */
  private async seenOr(codeHash: string, claim: CodeClaim): Promise<ClaimResult> {
    const record = await this.repository.findByCode(claim.appId, codeHash);
    return record ? { kind: 'seen', record } : { kind: 'state-invalid' };
  }

  /** A code whose exchange failed for a passing reason may be tried again by the same device. */
  reclaimFailed(row: CodeExchangeEntity): Promise<boolean> {
    return this.repository.reclaimFailed(row.id, this.clock.now());
  }

  async complete(
    manager: EntityManager,
    id: string,
    result: {
      outcome: 'session' | 'bind' | 'link' | 'reauth';
      identityId: string;
      userId: string | null;
      sessionId: string | null;
    },
  ): Promise<void> {
    await this.repository.complete(manager, id, result, this.clock.now());
  }

  /** Settles a claimed code as failed; `kept` holds the exchange's tokens when only a later step failed. */
  async fail(id: string, errorCode: string, kept: { resultEnc: string; resultKeyId: string } | null): Promise<void> {
    await this.repository.fail(id, errorCode, kept, this.clock.now());
  }

  async markReplayed(manager: EntityManager, id: string): Promise<void> {
    await this.repository.markReplayed(manager, id, this.clock.now());
  }

  /** Waits while another request holds the code, up to `maxMs`. */
  async settled(appId: string, codeHash: string, maxMs: number): Promise<CodeExchangeEntity | null> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      const row = await this.find(appId, codeHash);
      if (!row || row.status !== 'pending' || Date.now() >= deadline) return row;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
