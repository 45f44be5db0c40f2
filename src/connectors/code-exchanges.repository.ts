import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, SqlTarget } from '../database/sql';
import { placeholders, Statement } from '../database/sql-statements';
import type { CodeExchangeEntity, CodeExchangeStatus } from './entities/code-exchange.entity';

const STATE_COLUMNS = 'id, state_hash, app_id, device_id, purpose, user_id, created_at, expires_at, consumed_at';
const EXCHANGE_COLUMNS =
  'id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, ' +
  'result_enc, result_key_id, created_at, updated_at, expires_at';

/**
 * The condition under which a state (`ls`, a login_states row) may be spent by a claim: known,
 * unused, unexpired, and issued for this purpose, device and (for linking) user; parameters:
 * state hash, now, purpose, device id, user id. A state is spent by the one code exchange that
 * names it (unique code_exchanges.state_hash); `consumed_at` is only set by releases before that.
 */
const SPENDABLE =
  'ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? ' +
  "AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?)";

// Claiming a code spends its state in the same statement: the row is copied from a spendable state.
const CLAIM =
  `INSERT INTO code_exchanges (${EXCHANGE_COLUMNS}) ` +
  "SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ? " +
  `FROM login_states ls WHERE ${SPENDABLE}`;
const CLAIM_FOR_APP = `${CLAIM} AND ls.app_id = ?`;

/**
 * Every statement on `login_states` and `code_exchanges` (one repository: a claim writes one table
 * from the other); src/database/queries/code-exchanges.repository.sql is their snapshot. The
 * `…Returning` forms run where the server has INSERT … RETURNING (MariaDB, SQLite), the others
 * plus `claimedApp` on MySQL.
 */
export const CODE_EXCHANGE_STATEMENTS = {
  insertState: `INSERT INTO login_states (${STATE_COLUMNS}) VALUES (${placeholders(8)}, NULL)`,
  insertStateless:
    `INSERT INTO code_exchanges (${EXCHANGE_COLUMNS}) ` +
    "VALUES (?, ?, ?, NULL, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?)",
  claim: CLAIM,
  claimForApp: CLAIM_FOR_APP,
  claimReturning: `${CLAIM} RETURNING app_id`,
  claimForAppReturning: `${CLAIM_FOR_APP} RETURNING app_id`,
  claimedApp: 'SELECT app_id FROM code_exchanges WHERE id = ?',
  findByCode: `SELECT ${EXCHANGE_COLUMNS} FROM code_exchanges WHERE app_id = ? AND code_hash = ? LIMIT 1`,
  findByCodeOfAnyApp: `SELECT ${EXCHANGE_COLUMNS} FROM code_exchanges WHERE code_hash = ? LIMIT 1`,
  reclaimFailed:
    "UPDATE code_exchanges SET status = 'pending', error_code = NULL, updated_at = ? WHERE id = ? AND status = 'failed'",
  complete:
    "UPDATE code_exchanges SET status = 'done', outcome = ?, identity_id = ?, user_id = ?, session_id = ?, updated_at = ? WHERE id = ?",
  fail: "UPDATE code_exchanges SET status = 'failed', error_code = ?, updated_at = ? WHERE id = ?",
  failKeeping:
    "UPDATE code_exchanges SET status = 'failed', error_code = ?, result_enc = ?, result_key_id = ?, updated_at = ? WHERE id = ?",
  markReplayed: "UPDATE code_exchanges SET status = 'replayed', updated_at = ? WHERE id = ?",
} satisfies Record<string, Statement>;

const S = CODE_EXCHANGE_STATEMENTS;

export interface NewLoginState {
  id: string;
  stateHash: string;
  appId: string;
  deviceId: string | null;
  purpose: 'login' | 'link';
  userId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A code record to create: `id`, the code, the device and its times. */
export interface NewCodeRecord {
  id: string;
  codeHash: string;
  deviceId: string | null;
  now: Date;
  expiresAt: Date;
}

/** The state a claim spends: its hash and what it must have been issued for. */
export interface StateToSpend {
  stateHash: string;
  purpose: 'login' | 'link';
  deviceId: string | null;
  userId: string | null;
  /** The app the state must belong to; null: any. */
  appId: string | null;
}

/** The tables `login_states` and `code_exchanges`: every statement on them and the row mapper. */
@Injectable()
export class CodeExchangesRepository {
  constructor(private readonly database: Database) {}

  async insertState(row: NewLoginState): Promise<void> {
    await this.database.sql.run(S.insertState, [
      row.id,
      row.stateHash,
      row.appId,
      row.deviceId,
      row.purpose,
      row.userId,
      row.createdAt,
      row.expiresAt,
    ]);
  }

  /** A record for a code that comes without a state (throws a unique violation if the code was seen). */
  async insertStateless(appId: string, record: NewCodeRecord): Promise<void> {
    await this.database.sql.run(S.insertStateless, [
      record.id,
      appId,
      record.codeHash,
      record.deviceId,
      record.now,
      record.now,
      record.expiresAt,
    ]);
  }

  /**
   * Creates the record of a code and spends its state in one statement; the app the state was
   * issued for, or null when the state was not spendable. A code or state seen before fails with a
   * unique violation.
   */
  async claimWithState(record: NewCodeRecord, state: StateToSpend): Promise<string | null> {
    const sql = this.database.sql;
    const params = [
      record.id,
      record.codeHash,
      record.deviceId,
      record.now,
      record.now,
      record.expiresAt,
      state.stateHash,
      record.now,
      state.purpose,
      state.deviceId,
      state.userId,
      ...(state.appId ? [state.appId] : []),
    ];
    if (this.database.returning) {
      const text = state.appId ? S.claimForAppReturning : S.claimReturning;
      const rows = await sql.rows<{ app_id: string }>(text, params);
      return rows.length === 1 ? rows[0].app_id : null;
    }
    if ((await sql.run(state.appId ? S.claimForApp : S.claim, params)) !== 1) return null;
    const rows = await sql.rows<{ app_id: string }>(S.claimedApp, [record.id]);
    return rows[0].app_id;
  }

  /** The record of a code, of one app or (appId null) of whichever app has it. */
  async findByCode(appId: string | null, codeHash: string): Promise<CodeExchangeEntity | null> {
    const rows = await this.database.sql.rows<CodeExchangeRow>(
      appId ? S.findByCode : S.findByCodeOfAnyApp,
      appId ? [appId, codeHash] : [codeHash],
    );
    return rows.length === 0 ? null : codeExchangeFromRow(rows[0]);
  }

  /** Back to pending if it failed; whether it did (a racing retry may have taken it first). */
  async reclaimFailed(id: string, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.reclaimFailed, [now, id])) === 1;
  }

  async complete(
    target: SqlTarget,
    id: string,
    result: { outcome: string; identityId: string; userId: string | null; sessionId: string | null },
    now: Date,
  ): Promise<void> {
    await asSql(target).write(S.complete, [
      result.outcome,
      result.identityId,
      result.userId,
      result.sessionId,
      now,
      id,
    ]);
  }

  async fail(
    id: string,
    errorCode: string,
    kept: { resultEnc: string; resultKeyId: string } | null,
    now: Date,
  ): Promise<void> {
    if (kept) await this.database.sql.run(S.failKeeping, [errorCode, kept.resultEnc, kept.resultKeyId, now, id]);
    else await this.database.sql.run(S.fail, [errorCode, now, id]);
  }

  async markReplayed(target: SqlTarget, id: string, now: Date): Promise<void> {
    await asSql(target).write(S.markReplayed, [now, id]);
  }
}

interface CodeExchangeRow {
  id: string;
  app_id: string;
  code_hash: string;
  state_hash: string | null;
  device_id: string | null;
  status: CodeExchangeStatus;
  outcome: string | null;
  error_code: string | null;
  identity_id: string | null;
  user_id: string | null;
  session_id: string | null;
  result_enc: string | null;
  result_key_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  expires_at: Date | string;
}

function codeExchangeFromRow(row: CodeExchangeRow): CodeExchangeEntity {
  return {
    id: row.id,
    appId: row.app_id,
    codeHash: row.code_hash,
    stateHash: row.state_hash,
    deviceId: row.device_id,
    status: row.status,
    outcome: row.outcome,
    errorCode: row.error_code,
    identityId: row.identity_id,
    userId: row.user_id,
    sessionId: row.session_id,
    resultEnc: row.result_enc,
    resultKeyId: row.result_key_id,
    createdAt: parseDbDate(row.created_at),
    updatedAt: parseDbDate(row.updated_at),
    expiresAt: parseDbDate(row.expires_at),
  };
}
