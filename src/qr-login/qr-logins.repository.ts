import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, SqlTarget } from '../database/sql';
import { placeholders, Statement } from '../database/sql-statements';
import type { QrLoginEntity, QrLoginKind, StoredQrStatus } from './qr-login.entity';

const COLUMNS =
  'id, kind, app_id, code_hash, poll_token_hash, status, scanned_by, user_id, login_method, bind_ticket_enc, ' +
  'bind_ticket_key_id, device_id, ip, user_agent, created_at, expires_at, scanned_at, decided_at, collected_at';

// Every transition is one conditional UPDATE: the status it leaves, the user it needs and the expiry
// are in the WHERE, so of two racing callers (on any instances) exactly one changes the row.
const APP_CODE = "app_id = '' AND code_hash = ? AND kind = 'app'";

/** Every statement on `qr_logins`; src/database/queries/qr-logins.repository.sql is their snapshot. */
export const QR_LOGIN_STATEMENTS = {
  insert: `INSERT INTO qr_logins (${COLUMNS}) VALUES (${placeholders(16)}, NULL, NULL, NULL)`,
  findById: `SELECT ${COLUMNS} FROM qr_logins WHERE id = ?`,
  findByCode: `SELECT ${COLUMNS} FROM qr_logins WHERE app_id = ? AND code_hash = ? LIMIT 1`,
  scan:
    "UPDATE qr_logins SET status = 'SCANNED', scanned_by = ?, scanned_at = ? " +
    `WHERE ${APP_CODE} AND status = 'PENDING' AND expires_at > ?`,
  confirm:
    "UPDATE qr_logins SET status = 'CONFIRMED', user_id = ?, login_method = ?, decided_at = ? " +
    `WHERE ${APP_CODE} AND status = 'SCANNED' AND scanned_by = ? AND expires_at > ?`,
  cancel:
    "UPDATE qr_logins SET status = 'CANCELLED', decided_at = ? " +
    `WHERE ${APP_CODE} AND status = 'SCANNED' AND scanned_by = ? AND expires_at > ?`,
  completeFollow:
    "UPDATE qr_logins SET status = 'CONFIRMED', user_id = ?, login_method = 'WECHAT', bind_ticket_enc = ?, " +
    'bind_ticket_key_id = ?, decided_at = ? ' +
    "WHERE app_id = ? AND code_hash = ? AND kind = 'wechat_follow' AND status = 'PENDING' AND expires_at > ?",
  // A follower who may not sign in (banned): the page sees CANCELLED.
  refuseFollow:
    "UPDATE qr_logins SET status = 'CANCELLED', decided_at = ? " +
    "WHERE app_id = ? AND code_hash = ? AND kind = 'wechat_follow' AND status = 'PENDING' AND expires_at > ?",
  // The bind ticket leaves the table with its one hand-out.
  collect:
    'UPDATE qr_logins SET collected_at = ?, bind_ticket_enc = NULL ' +
    "WHERE id = ? AND status = 'CONFIRMED' AND collected_at IS NULL AND expires_at > ?",
} satisfies Record<string, Statement>;

const S = QR_LOGIN_STATEMENTS;

export type NewQrLogin = Pick<
  QrLoginEntity,
  'id' | 'kind' | 'appId' | 'codeHash' | 'pollTokenHash' | 'deviceId' | 'ip' | 'userAgent' | 'createdAt' | 'expiresAt'
>;

/** The table `qr_logins`: every statement on it and its row mapper. Transitions answer whether this caller won. */
@Injectable()
export class QrLoginsRepository {
  constructor(private readonly database: Database) {}

  async insert(row: NewQrLogin): Promise<void> {
    await this.database.sql.run(S.insert, [
      row.id,
      row.kind,
      row.appId,
      row.codeHash,
      row.pollTokenHash,
      'PENDING' satisfies StoredQrStatus,
      null,
      null,
      null,
      null,
      null,
      row.deviceId,
      row.ip,
      row.userAgent,
      row.createdAt,
      row.expiresAt,
    ]);
  }

  async findById(id: string): Promise<QrLoginEntity | null> {
    const rows = await this.database.sql.rows<QrLoginRow>(S.findById, [id]);
    return rows.length === 0 ? null : qrLoginFromRow(rows[0]);
  }

  /** An app-kind row by its QR content's hash (appId ''), or a follow row by its app and scene hash. */
  async findByCode(appId: string, codeHash: string): Promise<QrLoginEntity | null> {
    const rows = await this.database.sql.rows<QrLoginRow>(S.findByCode, [appId, codeHash]);
    return rows.length === 0 ? null : qrLoginFromRow(rows[0]);
  }

  async scan(codeHash: string, userId: string, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.scan, [userId, now, codeHash, now])) === 1;
  }

  async confirm(codeHash: string, userId: string, loginMethod: string, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.confirm, [userId, loginMethod, now, codeHash, userId, now])) === 1;
  }

  async cancel(codeHash: string, userId: string, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.cancel, [now, codeHash, userId, now])) === 1;
  }

  async completeFollow(
    appId: string,
    sceneHash: string,
    outcome: { userId: string | null; bindTicketEnc: string | null; bindTicketKeyId: string | null },
    now: Date,
  ): Promise<boolean> {
    const params = [outcome.userId, outcome.bindTicketEnc, outcome.bindTicketKeyId, now, appId, sceneHash, now];
    return (await this.database.sql.run(S.completeFollow, params)) === 1;
  }

  async refuseFollow(appId: string, sceneHash: string, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.refuseFollow, [now, appId, sceneHash, now])) === 1;
  }

  /** Claims the one hand-out of a confirmed row, inside the caller's transaction when given one. */
  async collect(target: SqlTarget | null, id: string, now: Date, notExpiredBefore: Date): Promise<boolean> {
    const sql = target ? asSql(target) : this.database.sql;
    return (await sql.run(S.collect, [now, id, notExpiredBefore])) === 1;
  }
}

interface QrLoginRow {
  id: string;
  kind: QrLoginKind;
  app_id: string;
  code_hash: string;
  poll_token_hash: string;
  status: StoredQrStatus;
  scanned_by: string | null;
  user_id: string | null;
  login_method: string | null;
  bind_ticket_enc: string | null;
  bind_ticket_key_id: string | null;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  scanned_at: Date | string | null;
  decided_at: Date | string | null;
  collected_at: Date | string | null;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : parseDbDate(value));

function qrLoginFromRow(row: QrLoginRow): QrLoginEntity {
  return {
    id: row.id,
    kind: row.kind,
    appId: row.app_id,
    codeHash: row.code_hash,
    pollTokenHash: row.poll_token_hash,
    status: row.status,
    scannedBy: row.scanned_by,
    userId: row.user_id,
    loginMethod: row.login_method,
    bindTicketEnc: row.bind_ticket_enc,
    bindTicketKeyId: row.bind_ticket_key_id,
    deviceId: row.device_id,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: parseDbDate(row.created_at),
    expiresAt: parseDbDate(row.expires_at),
    scannedAt: dateOrNull(row.scanned_at),
    decidedAt: dateOrNull(row.decided_at),
    collectedAt: dateOrNull(row.collected_at),
  };
}
