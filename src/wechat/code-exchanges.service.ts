import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { sha256Hex } from '../common/secrets';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateStore, StateClaim } from './login-state.store';

/** How long a code's idempotency record answers for it (the longest code lifetime documented). */
export const CODE_RECORD_TTL_MS = 10 * 60 * 1000;
const POLL_MS = 50;

export type ClaimResult = { kind: 'claimed'; id: string } | { kind: 'duplicate' } | { kind: 'state-invalid' };

class StateRejected extends Error {}

/**
 * The idempotency record of each WeChat code (table code_exchanges, unique per app and code hash).
 * The first request for a code claims it and checks its state in one transaction; any later
 * request for the same code finds the record instead of calling WeChat again.
 */
@Injectable()
export class CodeExchangesService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly states: LoginStateStore,
  ) {}

  hash(code: string): string {
    return sha256Hex(code);
  }

  find(appId: string, codeHash: string): Promise<CodeExchangeEntity | null> {
    return this.database.dataSource.manager.getRepository(CodeExchangeEntity).findOne({ where: { appId, codeHash } });
  }

  /**
   * Claims an unseen code and consumes its state together: both happen, or neither. A stateless claim
   * (mini-program js codes) checks no state.
   */
  async claim(
    appId: string,
    codeHash: string,
    state: string | null | undefined,
    claim: StateClaim & { stateless?: boolean },
  ): Promise<ClaimResult> {
    try {
      return await this.database.transaction(async (manager) => {
        const now = this.clock.now();
        const id = newId();
        try {
          await manager.getRepository(CodeExchangeEntity).insert({
            id,
            appId,
            codeHash,
            stateHash: state ? sha256Hex(state) : null,
            deviceId: claim.deviceId,
            status: 'pending',
            outcome: null,
            errorCode: null,
            identityId: null,
            userId: null,
            sessionId: null,
            resultEnc: null,
            resultKeyId: null,
            createdAt: now,
            updatedAt: now,
            expiresAt: new Date(now.getTime() + CODE_RECORD_TTL_MS),
          });
        } catch (error) {
          if (isUniqueViolation(error)) return { kind: 'duplicate' as const };
          throw error;
        }
        if (!claim.stateless && !(await this.states.consume(manager, state, claim))) throw new StateRejected();
        return { kind: 'claimed' as const, id };
      });
    } catch (error) {
      if (error instanceof StateRejected) return { kind: 'state-invalid' };
      throw error;
    }
  }

  /** A code whose exchange failed for a passing reason may be tried again by the same device. */
  async reclaimFailed(row: CodeExchangeEntity): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(CodeExchangeEntity)
        .set({ status: 'pending', errorCode: null, updatedAt: this.clock.now() })
        .where("id = :id AND status = 'failed'", { id: row.id })
        .execute();
      return (result.affected ?? 0) === 1;
    });
  }

  async complete(
    manager: EntityManager,
    id: string,
    result: {
      outcome: 'session' | 'bind' | 'link';
      identityId: string;
      userId: string | null;
      sessionId: string | null;
    },
  ): Promise<void> {
    await manager
      .getRepository(CodeExchangeEntity)
      .update({ id }, { status: 'done', ...result, updatedAt: this.clock.now() });
  }

  /** Settles a claimed code as failed; `kept` holds the exchange's tokens when only a later step failed. */
  async fail(id: string, errorCode: string, kept: { resultEnc: string; resultKeyId: string } | null): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(CodeExchangeEntity)
        .update({ id }, { status: 'failed', errorCode, ...(kept ?? {}), updatedAt: this.clock.now() }),
    );
  }

  async markReplayed(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(CodeExchangeEntity).update({ id }, { status: 'replayed', updatedAt: this.clock.now() });
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
