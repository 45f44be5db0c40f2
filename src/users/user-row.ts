import { parseDbDate } from '../database/rate-limits';
import type { UserEntity, UserStatusValue } from './user.entity';

/** The users columns, for plain SQL that reads a whole user (aliased `u`). */
export const USER_COLUMNS =
  'u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into';

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

/** USER_COLUMNS renamed `u_<column>`, for a read that joins the user to another table's columns. */
export const USER_COLUMNS_AS_U = USER_COLUMNS.split(', ')
  .map((column) => `${column} AS u_${column.slice(2)}`)
  .join(', ');

/** The user of a row read with USER_COLUMNS_AS_U; null when the join found none. */
export function userFromJoinedRow(row: Record<string, unknown>): UserEntity | null {
  if (row.u_id === null || row.u_id === undefined) return null;
  const user: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith('u_')) user[key.slice(2)] = row[key];
  return userFromRow(user as unknown as UserRow);
}
