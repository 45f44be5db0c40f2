import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { UserEntity } from './user.entity';

/** The one "may this user sign in" rule: every login, binding and re-login asks it. */
export function assertMaySignIn(user: UserEntity | null | undefined): asserts user is UserEntity {
  if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
  if (user.status === 'banned') throw new DomainError(ErrorCode.USER_BANNED);
}
