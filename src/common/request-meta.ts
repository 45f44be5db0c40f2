import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';

export interface RequestMeta {
  /** The client's address: X-Forwarded-For only when TRUST_PROXY says so (Express's req.ip). */
  ip: string | null;
  userAgent: string | null;
}

export function requestFromContext(context: ExecutionContext): Request {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: Request }>().req;
  }
  return context.switchToHttp().getRequest<Request>();
}

export function metaOf(req: Request): RequestMeta {
  const ip = req.ip ?? req.socket?.remoteAddress ?? null;
  const agent = req.headers['user-agent'];
  return {
    ip: ip ? ip.replace(/^::ffff:/, '').slice(0, 45) : null,
    userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
  };
}

/** The caller's IP and user agent, for resolvers. */
export const Meta = createParamDecorator((_data: unknown, context: ExecutionContext): RequestMeta => {
  return metaOf(requestFromContext(context));
});
