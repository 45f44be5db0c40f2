import { DomainError } from '../errors/domain-error';

const MAX_PAGE = 100;

/** Who performs an admin action, for the audit log. */
export interface Actor {
  userId: string;
  ip: string | null;
}

/** Cursor = base64url of [createdAt, id]: stable under inserts, ordered newest first. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): { createdAt: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw DomainError.badInput('after', 'not a cursor from this API');
  }
}

export function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw DomainError.badInput('first', `1 to ${MAX_PAGE}`);
  return size;
}
