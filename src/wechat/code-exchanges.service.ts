import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { sha256Hex } from '../common/secrets';
import { Database } from '../database/database.service';
import { sqlIn } from '../database/sql';
import { isUniqueViolation } from '../database/rate-limits';
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

const EXCHANGE_COLUMNS =
  'id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, ' +
  'result_enc, result_key_id, created_at, updated_at, expires_at';

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
   * Claims an unseen code and spends its state in one statement: an INSERT ... SELECT that copies the
   * state's app and succeeds only for a spendable state (LoginStateStore.SPENDABLE); the unique keys
   * (app, code) and (state) make a second claim of either fail. A code that cannot be claimed is
   * looked up: seen before (the caller answers as for that record), or else the state was invalid.
   */
  async claim(codeHash: string, state: string | null | undefined, claim: CodeClaim): Promise<ClaimResult> {
    const now = this.clock.now();
    const id = newId();
    const expiresAt = new Date(now.getTime() + CODE_RECORD_TTL_MS);
    const sql = this.database.sql;
    const withoutState = claim.stateless || state === undefined || state === null || state === '';
    try {
      if (withoutState) {
        if (!claim.stateless && !this.states.missingStateAllowed(claim.purpose)) return this.seenOr(codeHash, claim);
        if (!claim.appId) throw new Error('a claim without a state names its app');
        await sql.run(
          `INSERT INTO code_exchanges (${EXCHANGE_COLUMNS}) VALUES (?, ?, ?, NULL, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?)`,
          [id, claim.appId, codeHash, claim.deviceId, now, now, expiresAt],
        );
        return { kind: 'claimed', id, appId: claim.appId };
      }
      if (state!.length > LoginStateStore.MAX_STATE_LENGTH) return this.seenOr(codeHash, claim);
      const text =
        `INSERT INTO code_exchanges (${EXCHANGE_COLUMNS}) ` +
        `SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ? ` +
        `FROM login_states ls WHERE ${LoginStateStore.SPENDABLE}${claim.appId ? ' AND ls.app_id = ?' : ''}`;
      const params = [
        id,
        codeHash,
        claim.deviceId,
        now,
        now,
        expiresAt,
        sha256Hex(state!),
        now,
        claim.purpose,
        claim.deviceId,
        claim.userId,
        ...(claim.appId ? [claim.appId] : []),
      ];
      if (this.database.returning) {
        const rows = await sql.rows<{ app_id: string }>(`${text} RETURNING app_id`, params);
        if (rows.length === 1) return { kind: 'claimed', id, appId: rows[0].app_id };
      } else if ((await sql.run(text, params)) === 1) {
        const rows = await sql.rows<{ app_id: string }>('SELECT app_id FROM code_exchanges WHERE id = ?', [id]);
        return { kind: 'claimed', id, appId: rows[0].app_id };
      }
      return this.seenOr(codeHash, claim);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.seenOr(codeHash, claim);
    }
  }

  /** After a failed claim: the record of this code if it was seen, else the state was not spendable. */
  private async seenOr(codeHash: string, claim: CodeClaim): Promise<ClaimResult> {
    const rows = await this.database.dataSource.manager
      .getRepository(CodeExchangeEntity)
      .find({ where: { codeHash, ...(claim.appId ? { appId: claim.appId } : {}) } });
    return rows.length > 0 ? { kind: 'seen', record: rows[0] } : { kind: 'state-invalid' };
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
    await sqlIn(manager).run(
      "UPDATE code_exchanges SET status = 'done', outcome = ?, identity_id = ?, user_id = ?, session_id = ?, updated_at = ? WHERE id = ?",
      [result.outcome, result.identityId, result.userId, result.sessionId, this.clock.now(), id],
    );
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
