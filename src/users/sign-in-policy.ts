import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { UserEntity } from './user.entity';

/**
 * The one "may this user sign in" rule, as an answer: the code a refusal carries, or null. Every
 * login, binding, re-login, refresh and authenticated request asks it (directly or through the
 * assertions below); nothing else reads a user's status for this.
 */
export function signInRefusal(
  user: UserEntity | null | undefined,
): ErrorCode.UNAUTHENTICATED | ErrorCode.USER_BANNED | null {
  if (isGone(user)) return ErrorCode.UNAUTHENTICATED;
  if (user.status === 'banned') return ErrorCode.USER_BANNED;
  return null;
}

/** The rule as a guard: refuses with UNAUTHENTICATED (gone) or USER_BANNED. */
export function assertMaySignIn(user: UserEntity | null | undefined): asserts user is UserEntity {
  const refusal = signInRefusal(user);
  if (refusal) throw new DomainError(refusal);
}

/** Nobody any more: never existed, erased, or folded into another user. */
export function isGone(
  user: UserEntity | null | undefined,
): user is null | undefined | (UserEntity & { status: 'deleted' }) {
  return !user || user.status === 'deleted';
}

/**
 * A signed-in caller acting on their own account (unlink, delete it): a gone user is nobody. A banned
 * one is let through here because an access token of theirs is already refused (SessionsService).
 */
export function assertNotGone(user: UserEntity | null | undefined): asserts user is UserEntity {
  if (isGone(user)) throw new DomainError(ErrorCode.UNAUTHENTICATED);
}
