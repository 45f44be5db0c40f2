import { Injectable } from '@nestjs/common';
import { Brackets, EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import { parseDbDate, Sql } from '../database/sql';
import { Statement, textOf } from '../database/sql-statements';
import { UserEntity, UserStatusValue } from './user.entity';

/** The users columns, for plain SQL that reads a whole user (aliased `u`). */
export const USER_COLUMNS =
  'u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into';

/** USER_COLUMNS renamed `u_<column>`, for a read that joins the user to another table's columns. */
export const USER_COLUMNS_AS_U = USER_COLUMNS.split(', ')
  .map((column) => `${column} AS u_${column.slice(2)}`)
  .join(', ');

const BY_PHONE = `SELECT ${USER_COLUMNS} FROM users u WHERE u.phone = ?`;

/** Every plain statement on `users`; src/database/queries/users.repository.sql is their snapshot. */
export const USER_STATEMENTS = {
  findByPhone: BY_PHONE,
  // After losing the race to insert: on MySQL a locking read sees the winner's commit even inside an
  // older snapshot; SQLite runs one writer at a time.
  findByPhoneAfterRace: { mysql: `${BY_PHONE} FOR UPDATE`, sqlite: BY_PHONE },
  insertWithPhone:
    'INSERT INTO users (id, phone, nickname, avatar_url, status, roles, created_at, updated_at, last_login_at, deleted_at, merged_into) ' +
    "VALUES (?, ?, NULL, NULL, 'active', ?, ?, ?, ?, NULL, NULL)",
  markLogin: 'UPDATE users SET last_login_at = ?, updated_at = ?, roles = ? WHERE id = ?',
} satisfies Record<string, Statement>;

const S = USER_STATEMENTS;

/** The filters of the admins' user search (already parsed: a phone in E.164, or a free term). */
export interface UserSearch {
  status?: UserStatusValue;
  phone?: string;
  term?: string;
  /** Newest first: only users before this one. */
  before?: { createdAt: Date; id: string };
  limit: number;
}

/** The `users` table: its TypeORM calls, every plain statement on it, its row mapper and its dialect branch. */
@Injectable()
export class UsersRepository {
  constructor(private readonly database: Database) {}

  findById(id: string, manager: EntityManager = this.database.dataSource.manager): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOne({ where: { id } });
  }

  /** The user owning `phone`; `afterRace`: the read that follows a lost insert race (locking on MySQL). */
  async findByPhone(sql: Sql, phone: string, afterRace = false): Promise<UserEntity | null> {
    const [row] = await sql.rows<UserRow>(afterRace ? this.text(S.findByPhoneAfterRace) : S.findByPhone, [phone]);
    return row ? userFromRow(row) : null;
  }

  /**
   * A new user with a phone (nickname, avatar and merge empty, status active); throws on a taken phone,
   * at once, or, 'queued' (`Sql.write`), when the queue is sent.
   */
  async insertWithPhone(sql: Sql, user: UserEntity, when: 'now' | 'queued' = 'now'): Promise<void> {
    const values = [user.id, user.phone, user.roles.join(','), user.createdAt, user.updatedAt, user.lastLoginAt];
    if (when === 'queued') await sql.write(S.insertWithPhone, values);
    else await sql.run(S.insertWithPhone, values);
  }

  async markLogin(sql: Sql, id: string, roles: readonly string[], now: Date): Promise<void> {
    await sql.write(S.markLogin, [now, now, roles.join(','), id]);
  }

  async insert(manager: EntityManager, user: UserEntity): Promise<void> {
    await manager.getRepository(UserEntity).insert({ ...user });
  }

  async update(manager: EntityManager, id: string, changes: Partial<UserEntity>): Promise<void> {
    await manager.getRepository(UserEntity).update({ id }, changes);
  }

  /** A banned user active again; false when the user was not banned (or does not exist). */
  async unban(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ status: 'active', updatedAt: now })
      .where("id = :id AND status = 'banned'", { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  exists(manager: EntityManager, id: string): Promise<boolean> {
    return manager.getRepository(UserEntity).exists({ where: { id } });
  }

  // Admin reads.

  /**
   * A page of the admins' search, newest first, and how many match in all (the cursor aside). A term
   * matches a nickname (substring), a user id, or an identity's subject or unionid.
   */
  async search(filter: UserSearch): Promise<{ rows: UserEntity[]; total: number }> {
    const query = this.database.dataSource.manager.getRepository(UserEntity).createQueryBuilder('u');
    if (filter.status) query.andWhere('u.status = :status', { status: filter.status });
    if (filter.phone) query.andWhere('u.phone = :phone', { phone: filter.phone });
    const term = filter.term;
    if (term) {
      // '!' escapes LIKE wildcards the same way on SQLite and MySQL (a backslash does not).
      const like = `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.andWhere(
        new Brackets((q) =>
          q
            .where("u.nickname LIKE :like ESCAPE '!'", { like })
            .orWhere('u.id = :term', { term })
            .orWhere(
              'EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND (i.subject = :term OR i.unionid = :term))',
              { term },
            ),
        ),
      );
    }
    const total = await query.clone().getCount();
    const before = filter.before;
    if (before) {
      query.andWhere(
        new Brackets((q) =>
          q
            .where('u.created_at < :c', { c: before.createdAt })
            .orWhere('u.created_at = :c AND u.id < :cid', { c: before.createdAt, cid: before.id }),
        ),
      );
    }
    const rows = await query.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').take(filter.limit).getMany();
    return { rows, total };
  }

  /** Users created within [start, end) (sign-ups, for the login statistics). */
  countCreatedBetween(start: Date, end: Date): Promise<number> {
    return this.database.dataSource.manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('u.created_at >= :start AND u.created_at < :end', { start, end })
      .getCount();
  }

  private text(statement: Statement): string {
    return textOf(statement, this.database.dialect);
  }
}

export interface UserRow {
  id: string;
  phone: string | null;
  nickname: string | null;
  avatar_url: string | null;
  status: string;
  roles: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  last_login_at: Date | string | null;
  deleted_at: Date | string | null;
  merged_into: string | null;
}

/** A row read with USER_COLUMNS, as the entity TypeORM would have made of it. */
export function userFromRow(row: UserRow): UserEntity {
  return {
    id: row.id,
    phone: row.phone,
    nickname: row.nickname,
    avatarUrl: row.avatar_url,
    status: row.status as UserStatusValue,
    roles: row.roles ? row.roles.split(',').filter(Boolean) : [],
    createdAt: parseDbDate(row.created_at),
    updatedAt: parseDbDate(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : parseDbDate(row.last_login_at),
    deletedAt: row.deleted_at === null ? null : parseDbDate(row.deleted_at),
    mergedInto: row.merged_into,
  };
}

/** The user of a row read with USER_COLUMNS_AS_U; null when the join found none. */
export function userFromJoinedRow(row: Record<string, unknown>): UserEntity | null {
  if (row.u_id === null || row.u_id === undefined) return null;
  const user: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith('u_')) user[key.slice(2)] = row[key];
  return userFromRow(user as unknown as UserRow);
}
