import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, Sql, SqlTarget } from '../database/sql';
import { placeholders, Statement, textOf, withList } from '../database/sql-statements';
import type { UserEntity } from '../users/user.entity';
import { USER_COLUMNS_AS_U, userFromJoinedRow } from '../users/users.repository';
import type { IdentityConflictEntity } from './identity-conflict.entity';
import type { IdentityEntity } from './identity.entity';
import type { IdentityProviderName } from './verified-identity';

const COLUMNS =
  'id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, email, language, secret_enc, ' +
  'secret_key_id, profile_updated_at, created_at, updated_at';
const COLUMNS_OF_I = COLUMNS.split(', ')
  .map((column) => `i.${column}`)
  .join(', ');
const CONFLICT_COLUMNS =
  'id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by';

// An identity with its user, its WeChat grant and another user holding the verified unionid (parameters:
// unionid, provider, app id, subject): all that a sign-in needs, in one statement.
const FOR_SIGN_IN =
  `SELECT ${COLUMNS_OF_I}, ${USER_COLUMNS_AS_U}, g.id AS g_id, g.scope AS g_scope, ` +
  'g.refresh_expires_at AS g_refresh_expires_at, ' +
  '(SELECT MIN(o.user_id) FROM identities o WHERE o.provider = i.provider AND o.unionid = ? AND o.id <> i.id ' +
  'AND o.user_id IS NOT NULL AND (i.user_id IS NULL OR o.user_id <> i.user_id)) AS other_holder ' +
  'FROM identities i LEFT JOIN users u ON u.id = i.user_id LEFT JOIN wechat_grants g ON g.identity_id = i.id ' +
  'WHERE i.provider = ? AND i.app_id = ? AND i.subject = ?';
const CONFLICTS = `SELECT ${CONFLICT_COLUMNS} FROM identity_conflicts WHERE`;

/** Every statement on `identities` and `identity_conflicts`; src/database/queries/identities.repository.sql. */
export const IDENTITY_STATEMENTS = {
  findForSignIn: FOR_SIGN_IN,
  // After losing a race to insert: on MySQL the winner's row is read locked, so that its writes queue.
  findForSignInAfterRace: { mysql: `${FOR_SIGN_IN} FOR UPDATE`, sqlite: FOR_SIGN_IN },
  insert: `INSERT INTO identities (${COLUMNS}) VALUES (${placeholders(16)})`,
  updateProfile:
    'UPDATE identities SET nickname = ?, avatar_url = ?, email = ?, language = ?, profile_updated_at = ?, updated_at = ? WHERE id = ?',
  updateProfileAndSecret:
    'UPDATE identities SET nickname = ?, avatar_url = ?, email = ?, language = ?, secret_enc = ?, secret_key_id = ?, ' +
    'profile_updated_at = ?, updated_at = ? WHERE id = ?',
  // A provider said the profile changed: it is refreshed at the next login.
  markProfileStale: 'UPDATE identities SET profile_updated_at = NULL, updated_at = ? WHERE id = ?',
  setEmail: 'UPDATE identities SET email = ?, updated_at = ? WHERE id = ?',
  findById: `SELECT ${COLUMNS} FROM identities WHERE id = ? LIMIT 1`,
  findOfUser: `SELECT ${COLUMNS} FROM identities WHERE user_id = ? ORDER BY created_at ASC`,
  findOfUsersAtProvider: `SELECT ${COLUMNS} FROM identities WHERE user_id IN (?...) AND provider = ? ORDER BY created_at ASC`,
  holdersOf: 'SELECT user_id FROM identities WHERE provider = ? AND unionid = ? AND user_id IS NOT NULL AND id <> ?',
  setUnionid: 'UPDATE identities SET unionid = ?, updated_at = ? WHERE id = ?',
  attachIfFree: 'UPDATE identities SET user_id = ?, updated_at = ? WHERE id = ? AND user_id IS NULL',
  moveToUser: 'UPDATE identities SET user_id = ?, updated_at = ? WHERE id = ?',
  deleteByIds: 'DELETE FROM identities WHERE id IN (?...)',
  insertConflict: `INSERT INTO identity_conflicts (${CONFLICT_COLUMNS}) VALUES (${placeholders(6)}, NULL, NULL, NULL)`,
  // Ids are UUIDv7: their order is creation order, so the id is the cursor.
  listOpenConflicts: `${CONFLICTS} resolved_at IS NULL ORDER BY id ASC LIMIT ?`,
  listOpenConflictsAfter: `${CONFLICTS} resolved_at IS NULL AND id > ? ORDER BY id ASC LIMIT ?`,
  listResolvedConflicts: `${CONFLICTS} resolved_at IS NOT NULL ORDER BY id ASC LIMIT ?`,
  listResolvedConflictsAfter: `${CONFLICTS} resolved_at IS NOT NULL AND id > ? ORDER BY id ASC LIMIT ?`,
  findConflict: `${CONFLICTS} id = ? LIMIT 1`,
  closeConflict:
    'UPDATE identity_conflicts SET resolved_at = ?, kept_user_id = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL',
} satisfies Record<string, Statement>;

const S = IDENTITY_STATEMENTS;

/** A WeChat grant as sign-in sees it (to refresh it in place). */
export interface GrantRef {
  id: string;
  scope: string | null;
  refreshExpiresAt: Date;
}

/** An identity as read for a sign-in, with its user, grant, and the other holder of a unionid. */
export interface IdentityForSignIn {
  identity: IdentityEntity;
  owner: UserEntity | null;
  otherHolder: string | null;
  grant: GrantRef | null;
}

export interface IdentityKey {
  provider: IdentityProviderName;
  appId: string;
  subject: string;
}

/** The profile columns an update writes; the secret only when one is kept. */
export interface IdentityProfile {
  nickname: string | null;
  avatarUrl: string | null;
  email: string | null;
  language: string | null;
  secret?: { secretEnc: string; secretKeyId: string };
}

/** The tables `identities` and `identity_conflicts`: every statement on them and their row mappers. */
@Injectable()
export class IdentitiesRepository {
  constructor(private readonly database: Database) {}

  /** Plain SQL in the caller's transaction, or autocommit without one. */
  private on(target?: SqlTarget): Sql {
    return target ? asSql(target) : this.database.sql;
  }

  async findForSignIn(
    target: SqlTarget,
    key: IdentityKey,
    unionid: string | null,
    afterRace: boolean,
  ): Promise<IdentityForSignIn | null> {
    const text = afterRace ? textOf(S.findForSignInAfterRace, this.database.dialect) : S.findForSignIn;
    const rows = await asSql(target).rows<Record<string, unknown>>(text, [
      unionid,
      key.provider,
      key.appId,
      key.subject,
    ]);
    const row = rows[0];
    if (!row) return null;
    return {
      identity: identityFromRow(row),
      owner: userFromJoinedRow(row),
      otherHolder: (row.other_holder as string | null) ?? null,
      grant: row.g_id
        ? {
            id: row.g_id as string,
            scope: (row.g_scope as string | null) ?? null,
            refreshExpiresAt: parseDbDate(row.g_refresh_expires_at as Date | string),
          }
        : null,
    };
  }

  /** Throws a unique violation when the (provider, app, subject) or (user, provider, app) exists. */
  async insert(target: SqlTarget, row: IdentityEntity): Promise<void> {
    await asSql(target).run(S.insert, [
      row.id,
      row.provider,
      row.appId,
      row.subject,
      row.unionid,
      row.channel,
      row.userId,
      row.nickname,
      row.avatarUrl,
      row.email,
      row.language,
      row.secretEnc,
      row.secretKeyId,
      row.profileUpdatedAt,
      row.createdAt,
      row.updatedAt,
    ]);
  }

  async updateProfile(target: SqlTarget, id: string, profile: IdentityProfile, now: Date): Promise<void> {
    const head = [profile.nickname, profile.avatarUrl, profile.email, profile.language];
    if (profile.secret) {
      const { secretEnc, secretKeyId } = profile.secret;
      await asSql(target).run(S.updateProfileAndSecret, [...head, secretEnc, secretKeyId, now, now, id]);
    } else await asSql(target).run(S.updateProfile, [...head, now, now, id]);
  }

  async findById(id: string, target?: SqlTarget): Promise<IdentityEntity | null> {
    const rows = await this.on(target).rows<Record<string, unknown>>(S.findById, [id]);
    return rows.length === 0 ? null : identityFromRow(rows[0]);
  }

  /** A user's identities, oldest first. */
  async findOfUser(userId: string, target?: SqlTarget): Promise<IdentityEntity[]> {
    return (await this.on(target).rows<Record<string, unknown>>(S.findOfUser, [userId])).map(identityFromRow);
  }

  /** The identities of a page of users at one provider, oldest first. */
  async findOfUsersAtProvider(userIds: readonly string[], provider: IdentityProviderName): Promise<IdentityEntity[]> {
    if (userIds.length === 0) return [];
    const text = withList(S.findOfUsersAtProvider, userIds.length);
    return (await this.database.sql.rows<Record<string, unknown>>(text, [...userIds, provider])).map(identityFromRow);
  }

  /** Users (other than `exceptIdentityId`'s row) holding a provider's unionid. */
  async holdersOf(target: SqlTarget, provider: string, unionid: string, exceptIdentityId: string): Promise<string[]> {
    const rows = await asSql(target).rows<{ user_id: string }>(S.holdersOf, [provider, unionid, exceptIdentityId]);
    return [...new Set(rows.map((row) => row.user_id))];
  }

  async setUnionid(target: SqlTarget, id: string, unionid: string, now: Date): Promise<void> {
    await asSql(target).run(S.setUnionid, [unionid, now, id]);
  }

  /** Gives an unowned identity to `userId`; whether it was still unowned. */
  async attachIfFree(target: SqlTarget, id: string, userId: string, now: Date): Promise<boolean> {
    return (await asSql(target).run(S.attachIfFree, [userId, now, id])) === 1;
  }

  /** Throws a unique violation when `userId` already has an identity of that provider app. */
  async moveToUser(target: SqlTarget, id: string, userId: string, now: Date): Promise<void> {
    await asSql(target).run(S.moveToUser, [userId, now, id]);
  }

  async markProfileStale(target: SqlTarget, id: string, now: Date): Promise<void> {
    await asSql(target).run(S.markProfileStale, [now, id]);
  }

  async setEmail(target: SqlTarget, id: string, email: string | null, now: Date): Promise<void> {
    await asSql(target).run(S.setEmail, [email, now, id]);
  }

  async deleteByIds(target: SqlTarget, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await asSql(target).run(withList(S.deleteByIds, ids.length), ids);
  }

  async insertConflict(target: SqlTarget, row: IdentityConflictEntity): Promise<void> {
    await asSql(target).run(S.insertConflict, [
      row.id,
      row.provider,
      row.unionid,
      row.holderUserId,
      row.otherUserId,
      row.createdAt,
    ]);
  }

  async listConflicts(first: number, after: string | null, resolved: boolean): Promise<IdentityConflictEntity[]> {
    const text = resolved
      ? after
        ? S.listResolvedConflictsAfter
        : S.listResolvedConflicts
      : after
        ? S.listOpenConflictsAfter
        : S.listOpenConflicts;
    const rows = await this.database.sql.rows<Record<string, unknown>>(text, after ? [after, first] : [first]);
    return rows.map(conflictFromRow);
  }

  async findConflict(target: SqlTarget, id: string): Promise<IdentityConflictEntity | null> {
    const rows = await asSql(target).rows<Record<string, unknown>>(S.findConflict, [id]);
    return rows.length === 0 ? null : conflictFromRow(rows[0]);
  }

  /** Closes an open conflict; whether it was still open. */
  async closeConflict(target: SqlTarget, id: string, keptUserId: string, by: string, now: Date): Promise<boolean> {
    return (await asSql(target).run(S.closeConflict, [now, keptUserId, by, id])) === 1;
  }
}

const optionalDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : parseDbDate(value as Date | string);

function identityFromRow(row: Record<string, unknown>): IdentityEntity {
  return {
    id: row.id as string,
    provider: row.provider as IdentityProviderName,
    appId: row.app_id as string,
    subject: row.subject as string,
    unionid: (row.unionid as string | null) ?? null,
    channel: (row.channel as IdentityEntity['channel']) ?? null,
    userId: (row.user_id as string | null) ?? null,
    nickname: (row.nickname as string | null) ?? null,
    avatarUrl: (row.avatar_url as string | null) ?? null,
    email: (row.email as string | null) ?? null,
    language: (row.language as string | null) ?? null,
    secretEnc: (row.secret_enc as string | null) ?? null,
    secretKeyId: (row.secret_key_id as string | null) ?? null,
    profileUpdatedAt: optionalDate(row.profile_updated_at),
    createdAt: optionalDate(row.created_at)!,
    updatedAt: optionalDate(row.updated_at)!,
  } as IdentityEntity;
}

function conflictFromRow(row: Record<string, unknown>): IdentityConflictEntity {
  return {
    id: row.id as string,
    provider: row.provider as string,
    unionid: row.unionid as string,
    holderUserId: row.holder_user_id as string,
    otherUserId: row.other_user_id as string,
    createdAt: optionalDate(row.created_at)!,
    resolvedAt: optionalDate(row.resolved_at),
    keptUserId: (row.kept_user_id as string | null) ?? null,
    resolvedBy: (row.resolved_by as string | null) ?? null,
  };
}
