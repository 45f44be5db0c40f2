import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../graphql/domain-error';
import { ErrorCode } from '../graphql/error-code';
import { ACCESS_KEY, AccessRule } from './access.decorator';

/**
 * Default deny: a handler that declares no access rule is refused, GraphQL and HTTP alike.
 * Signed-in and role rules are enforced by the session layer; until a caller proves a session,
 * they answer UNAUTHENTICATED.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} declares no access rule; refused`);
      throw new DomainError(ErrorCode.FORBIDDEN);
    }
    if (rule.kind === 'public') return true;
    throw new DomainError(ErrorCode.UNAUTHENTICATED);
  }
}
