import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Database } from '../database/database.service';
import { asSql, Sql, SqlTarget } from '../database/sql';
import { Statement, textOf, withList } from '../database/sql-statements';
import { WechatGrantEntity } from './entities/wechat-grant.entity';

// Due for the refresh job: active, access token expiring within the window (`?` = its end), refresh
// token still valid (`?` = now). Website grants are left to expire; mini programs have no grant row.
const DUE = "status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto'";
// Not backing off (`?` = now) and not leased by a live claim (`?` = now).
const CLAIMABLE =
  '(next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_expires_at IS NULL OR lease_expires_at <= ?)';
// On one MySQL server a claim steps over rows another claim is taking; SQLite runs one writer anyway.
const pickDue = (range: string): Record<'mysql' | 'sqlite', string> => {
  const text = `SELECT id FROM wechat_grants WHERE ${DUE} AND ${CLAIMABLE} AND ${range} ORDER BY id LIMIT ?`;
  return { mysql: `${text} FOR UPDATE SKIP LOCKED`, sqlite: text };
};
const FRESH =
  "status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL, last_refreshed_at = ?, updated_at = ?";
const SET_TOKENS = 'access_token_enc = ?, refresh_token_enc = ?, key_id = ?, scope = ?, access_expires_at = ?';
const UNLEASED = 'lease_owner = NULL, lease_expires_at = NULL';

/** Every plain statement on `wechat_grants`; src/database/queries/wechat-grants.repository.sql is their snapshot. */
export const GRANT_STATEMENTS = {
  countActive: "SELECT COUNT(*) AS n FROM wechat_grants WHERE status = 'active'",
  countDue: `SELECT COUNT(*) AS n FROM wechat_grants WHERE ${DUE}`,
  countReauthRequired: "SELECT COUNT(*) AS n FROM wechat_grants WHERE status = 'reauth_required'",
  // Candidates from a random pivot id onwards, then (wrapping around) before it.
  pickDueFrom: pickDue('id >= ?'),
  pickDueBefore: pickDue('id < ?'),
  lease: `UPDATE wechat_grants SET lease_owner = ?, lease_expires_at = ? WHERE id IN (?...) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND status = 'active'`,
  findLeased:
    'SELECT g.id, g.identity_id, i.app_id, i.subject, i.nickname, i.avatar_url, g.refresh_token_enc, g.key_id, g.scope, g.failure_count ' +
    'FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE g.id IN (?...) AND g.lease_owner = ?',
  // Each row's own values by CASE (`WHEN ? THEN ?...`: one pair per grant), conditional on the lease.
  storeRefreshed:
    'UPDATE wechat_grants SET access_token_enc = CASE id WHEN ? THEN ?... END, refresh_token_enc = CASE id WHEN ? THEN ?... END, ' +
    `scope = CASE id WHEN ? THEN ?... END, access_expires_at = CASE id WHEN ? THEN ?... END, key_id = ?, ${FRESH}, ${UNLEASED} ` +
    'WHERE id IN (?...) AND lease_owner = ?',
  // The refreshed profiles go to the grants' identities in the same pass (one statement per chunk).
  storeProfiles:
    'UPDATE identities SET nickname = CASE id WHEN ? THEN ?... END, avatar_url = CASE id WHEN ? THEN ?... END, ' +
    'profile_updated_at = ? WHERE id IN (?...)',
  backOff: `UPDATE wechat_grants SET failure_count = ?, next_attempt_at = ?, last_error = ?, ${UNLEASED}, updated_at = ? WHERE id = ? AND lease_owner = ?`,
  markLeasedReauth: `UPDATE wechat_grants SET status = 'reauth_required', last_error = ?, ${UNLEASED}, updated_at = ? WHERE id = ? AND lease_owner = ?`,
  releaseIds: `UPDATE wechat_grants SET ${UNLEASED} WHERE id IN (?...) AND lease_owner = ?`,
  releaseToken: `UPDATE wechat_grants SET ${UNLEASED} WHERE lease_owner = ?`,
  releaseInstance: `UPDATE wechat_grants SET ${UNLEASED} WHERE lease_owner LIKE ?`,
  // A sign-in's grant, read with its identity: new tokens sealed for its id (and a new grant's mode).
  refreshKnown: `UPDATE wechat_grants SET ${SET_TOKENS}, refresh_expires_at = ?, ${FRESH} WHERE id = ?`,
  refreshKnownAsNew: `UPDATE wechat_grants SET ${SET_TOKENS}, refresh_expires_at = ?, ${FRESH}, refresh_mode = ? WHERE id = ?`,
} satisfies Record<string, Statement>;

const S = GRANT_STATEMENTS;

/** `WHEN ? THEN ?...` becomes one `WHEN ? THEN ?` per row. */
function withCases(text: string, count: number): string {
  return text.replaceAll(' WHEN ? THEN ?...', ' WHEN ? THEN ?'.repeat(count));
}

/** A leased grant with what refreshing it needs (one read, grant and identity joined). */
export interface LeasedGrant {
  id: string;
  identityId: string;
  appId: string;
  subject: string;
  nickname: string | null;
  avatarUrl: string | null;
  refreshTokenEnc: string | null;
  keyId: string;
  scope: string | null;
  failureCount: number;
}

/** New tokens, sealed, waiting for the chunk's one write. */
export interface RefreshedGrant {
  id: string;
  identityId: string;
  accessTokenEnc: string;
  refreshTokenEnc: string;
  scope: string | null;
  accessExpiresAt: Date;
  profile: { nickname: string | null; avatarUrl: string | null } | null;
}

/** New sealed tokens for a grant whose row a sign-in has read. */
export interface KnownGrantTokens {
  id: string;
  accessTokenEnc: string;
  refreshTokenEnc: string;
  keyId: string;
  scope: string | null;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
  /** Set for a new grant: its refresh mode is written too. */
  refreshMode?: 'auto' | 'off';
}

/** The `wechat_grants` table: its TypeORM calls, every plain statement on it and their dialect branches. */
@Injectable()
export class WechatGrantsRepository {
  constructor(private readonly database: Database) {}

  async countByState(due: Date, now: Date): Promise<{ active: number; due: number; reauthRequired: number }> {
    const sql = this.database.sql;
    const count = async (text: string, params: unknown[] = []): Promise<number> =>
      Number((await sql.rows<{ n: number | string }>(text, params))[0]?.n ?? 0);
    const [active, dueCount, reauthRequired] = await Promise.all([
      count(S.countActive),
      count(S.countDue, [due, now]),
      count(S.countReauthRequired),
    ]);
    return { active, due: dueCount, reauthRequired };
  }

  /** Up to `limit` due, claimable grant ids from `pivot` onwards (`before`: below it instead). */
  async pickDue(sql: Sql, range: 'from' | 'before', pivot: string, limit: number, due: Date, now: Date) {
    const statement = range === 'from' ? S.pickDueFrom : S.pickDueBefore;
    const rows = await sql.rows<{ id: string }>(this.text(statement), [due, now, now, now, pivot, Number(limit)]);
    return rows.map((row) => row.id);
  }

  /** Leases the grants among `ids` nobody holds; rows won. */
  lease(sql: Sql, ids: readonly string[], token: string, until: Date, now: Date): Promise<number> {
    return sql.run(withList(S.lease, ids.length), [token, until, ...ids, now]);
  }

  async findLeased(sql: Sql, ids: readonly string[], token: string): Promise<LeasedGrant[]> {
    const rows = await sql.rows<LeasedRow>(withList(S.findLeased, ids.length), [...ids, token]);
    return rows.map((r) => ({
      id: r.id,
      identityId: r.identity_id,
      appId: r.app_id,
      subject: r.subject,
      nickname: r.nickname,
      avatarUrl: r.avatar_url,
      refreshTokenEnc: r.refresh_token_enc,
      keyId: r.key_id,
      scope: r.scope,
      failureCount: Number(r.failure_count),
    }));
  }

  /** One statement for a chunk of refreshed grants still leased by `token`; grants stored. */
  storeRefreshed(sql: Sql, rows: readonly RefreshedGrant[], keyId: string, token: string, now: Date): Promise<number> {
    const params: unknown[] = [];
    for (const value of [
      (r: RefreshedGrant) => r.accessTokenEnc,
      (r: RefreshedGrant) => r.refreshTokenEnc,
      (r: RefreshedGrant) => r.scope,
      (r: RefreshedGrant) => r.accessExpiresAt,
    ]) {
      for (const r of rows) params.push(r.id, value(r));
    }
    params.push(keyId, now, now, ...rows.map((r) => r.id), token);
    return sql.run(withList(withCases(S.storeRefreshed, rows.length), rows.length), params);
  }

  /** The refreshed profiles of a chunk, onto their identities. */
  async storeProfiles(sql: Sql, rows: readonly RefreshedGrant[], now: Date): Promise<void> {
    const params: unknown[] = [];
    for (const r of rows) params.push(r.identityId, r.profile!.nickname);
    for (const r of rows) params.push(r.identityId, r.profile!.avatarUrl);
    params.push(now, ...rows.map((r) => r.identityId));
    await sql.run(withList(withCases(S.storeProfiles, rows.length), rows.length), params);
  }

  /** A passing failure: the grant is tried again after `nextAttemptAt`, and its lease goes back. */
  async backOff(sql: Sql, id: string, token: string, failures: number, nextAttemptAt: Date, error: string, now: Date) {
    await sql.run(S.backOff, [failures, nextAttemptAt, error, now, id, token]);
  }

  async markLeasedReauth(sql: Sql, id: string, token: string, label: string, now: Date): Promise<void> {
    await sql.run(S.markLeasedReauth, [label, now, id, token]);
  }

  async releaseIds(sql: Sql, ids: readonly string[], token: string): Promise<void> {
    await sql.run(withList(S.releaseIds, ids.length), [...ids, token]);
  }

  async releaseToken(token: string): Promise<void> {
    await this.database.sql.run(S.releaseToken, [token]);
  }

  /** Every lease whose token starts with `prefix` (one instance's). */
  async releaseInstance(prefix: string): Promise<void> {
    await this.database.sql.run(S.releaseInstance, [`${prefix}%`]);
  }

  async refreshKnown(target: SqlTarget, grant: KnownGrantTokens, now: Date): Promise<void> {
    const values = [
      grant.accessTokenEnc,
      grant.refreshTokenEnc,
      grant.keyId,
      grant.scope,
      grant.accessExpiresAt,
      grant.refreshExpiresAt,
      now,
      now,
    ];
    if (grant.refreshMode) await asSql(target).write(S.refreshKnownAsNew, [...values, grant.refreshMode, grant.id]);
    else await asSql(target).write(S.refreshKnown, [...values, grant.id]);
  }

  // The TypeORM calls on the table (entity reads and writes outside the hot paths).

  findByIdentity(manager: EntityManager, identityId: string): Promise<WechatGrantEntity | null> {
    return manager.getRepository(WechatGrantEntity).findOne({ where: { identityId } });
  }

  async update(manager: EntityManager, id: string, values: Partial<WechatGrantEntity>): Promise<void> {
    await manager.getRepository(WechatGrantEntity).update({ id }, values);
  }

  async insert(manager: EntityManager, row: WechatGrantEntity): Promise<void> {
    await manager.getRepository(WechatGrantEntity).insert(row);
  }

  async markReauthRequired(grantId: string, label: string, now: Date): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(WechatGrantEntity)
        .update({ id: grantId }, { status: 'reauth_required', lastError: label, updatedAt: now }),
    );
  }

  async findForIdentities(identityIds: readonly string[], manager?: EntityManager): Promise<WechatGrantEntity[]> {
    if (identityIds.length === 0) return [];
    return (manager ?? this.database.dataSource.manager)
      .getRepository(WechatGrantEntity)
      .find({ where: { identityId: In([...identityIds]) } });
  }

  private text(statement: Statement): string {
    return textOf(statement, this.database.dialect);
  }
}

interface LeasedRow {
  id: string;
  identity_id: string;
  app_id: string;
  subject: string;
  nickname: string | null;
  avatar_url: string | null;
  refresh_token_enc: string | null;
  key_id: string;
  scope: string | null;
  failure_count: number | string;
}
