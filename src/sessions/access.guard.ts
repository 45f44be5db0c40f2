import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { requestFromContext } from '../common/request-meta';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { ACCESS_KEY, AccessRule } from './access.decorator';
import { bearerTokenOf } from './bearer-token';
import { AuthenticatedCaller, SessionsService } from './sessions.service';

export type AuthenticatedRequest = Request & { caller?: AuthenticatedCaller };

/**
 * Default deny: a handler that declares no access rule is refused, GraphQL and HTTP alike.
 * Signed-in and role rules need a valid access token whose session is still live; it is checked
 * on every call, so logout, revocation and bans take effect on the very next request.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} declares no access rule; refused`);
      throw new DomainError(ErrorCode.FORBIDDEN);
    }
    if (rule.kind === 'public') return true;

    const req = requestFromContext(context) as AuthenticatedRequest;
    // Several fields of one request share the check.
    if (!req.caller) {
      const token = bearerTokenOf(req.headers);
      if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED);
      req.caller = await this.sessions.authenticate(token);
    }
    if (rule.kind === 'roles' && !rule.roles.some((role) => req.caller!.roles.includes(role))) {
      throw new DomainError(ErrorCode.FORBIDDEN);
    }
    return true;
  }
}
