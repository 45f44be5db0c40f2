import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { metaOf } from '../common/request-meta';
import type { AuthenticatedRequest } from '../sessions/access.guard';
import { CodeInput, WechatAuthOutcome, WechatAuthorizer } from './wechat-authorizer.service';

export type WechatRequest = AuthenticatedRequest & { wechatAuth?: WechatAuthOutcome };

const PURPOSE_KEY = 'wechat:purpose';

/** Marks a mutation whose `input` carries a WeChat code to authorize: for login, or for linking. */
export const WechatCode = (purpose: 'login' | 'link'): MethodDecorator => SetMetadata(PURPOSE_KEY, purpose);

/**
 * How a GraphQL mutation reaches the `wechat` Passport strategy: the guard authorizes the code in
 * the mutation's `input` and leaves the outcome on the request for the (thin) resolver. It runs
 * after AccessGuard, so a linking caller is already known.
 */
@Injectable()
export class WechatCodeGuard implements CanActivate {
  constructor(
    private readonly authorizer: WechatAuthorizer,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const gql = GqlExecutionContext.create(context);
    const req = gql.getContext<{ req: WechatRequest }>().req;
    const input = gql.getArgs<{ input: CodeInput }>().input;
    const purpose = this.reflector.get<'login' | 'link' | undefined>(PURPOSE_KEY, context.getHandler()) ?? 'login';
    req.wechatAuth = await this.authorizer.authorize(
      input,
      purpose,
      purpose === 'link' ? (req.caller?.userId ?? null) : null,
      metaOf(req).ip,
    );
    return true;
  }
}
