import { ExecutionContext, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { metaOf } from '../common/request-meta';
import { ACCESS_KEY, AccessRule } from '../sessions/access.decorator';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/**
 * The general per-IP throttle on public operations (@nestjs/throttler): one budget per client IP
 * shared by every public operation. Guards run once per resolver call, so aliasing one mutation a
 * hundred times in a request counts a hundred calls.
 * The client IP is Express's req.ip, which honours X-Forwarded-For only under TRUST_PROXY.
 */
@Injectable()
export class GqlThrottlerGuard extends ThrottlerGuard {
  protected override getRequestResponse(context: ExecutionContext): {
    req: Record<string, any>;
    res: Record<string, any>;
  } {
    if (context.getType<string>() === 'graphql') {
      const ctx = GqlExecutionContext.create(context).getContext<{ req: Request; res: Response }>();
      return { req: ctx.req, res: ctx.res };
    }
    return super.getRequestResponse(context);
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return metaOf(req as Request).ip ?? 'unknown';
  }

  // @nestjs/throttler keys a bucket by class and handler (one per operation); ours is the IP alone.
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    // Only public operations; health probes are never throttled.
    return rule?.kind !== 'public' || context.getType<string>() !== 'graphql';
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new DomainError(ErrorCode.TOO_MANY_REQUESTS, undefined, {
      retryAfterSeconds: Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire)),
    });
  }
}
