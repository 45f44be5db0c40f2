import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { requestFromContext } from '../common/request-meta';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { AuthenticatedRequest } from './access.guard';
import type { AuthenticatedCaller } from './sessions.service';

/** The signed-in caller, as AccessGuard established it. Only for @SignedIn() or @Roles() handlers. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedCaller => {
  const caller = (requestFromContext(context) as AuthenticatedRequest).caller;
  if (!caller) throw new DomainError(ErrorCode.UNAUTHENTICATED);
  return caller;
});
