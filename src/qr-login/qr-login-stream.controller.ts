import { All, Controller, Req, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import { getOperationAST, GraphQLError, parse } from 'graphql';
import type { Response as SseResponse } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/express';
import { formatGraphqlError } from '../graphql/format-error';
import { Public } from '../sessions/access.decorator';

type SseHandler = ReturnType<typeof createHandler<{ req: Request; res: Response }>>;

const refuse = (status: number, message: string): SseResponse => [
  JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }),
  { status, statusText: 'Bad Request', headers: { 'content-type': 'application/json; charset=utf-8' } },
];

/**
 * GraphQL subscriptions over Server-Sent Events (the graphql-sse protocol, "distinct connections"
 * mode: one operation per request, no stream kept in process memory, so any instance serves any
 * request). Only subscriptions pass: queries and mutations go to /graphql, behind graphql-armor.
 * Resolvers, guards (access, the public throttle) and error formatting are those of /graphql.
 */
@Controller('graphql/stream')
export class QrLoginStreamController {
  private handler: SseHandler | undefined;

  // The GraphQL module's schema host is not global: looked up once the schema is built.
  constructor(private readonly moduleRef: ModuleRef) {}

  @Public()
  @All()
  async stream(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.handlerOf()(req, res);
  }

  private handlerOf(): SseHandler {
    this.handler ??= createHandler<{ req: Request; res: Response }>({
      schema: this.moduleRef.get(GraphQLSchemaHost, { strict: false }).schema,
      // null: no "single connection mode", whose reserved streams would live in one process.
      authenticate: () => null,
      context: (req) => ({ req: req.raw, res: req.context.res }),
      onSubscribe: (_req, params) => {
        let operation: string | undefined;
        try {
          operation = getOperationAST(parse(params.query), params.operationName)?.operation;
        } catch {
          return refuse(400, 'The query does not parse.');
        }
        if (operation !== 'subscription') return refuse(400, 'Only subscriptions are served here; use /graphql.');
      },
      onNext: (_ctx, _req, result) => {
        if (!result.errors) return;
        return {
          ...result,
          errors: result.errors.map((error) => formatGraphqlError(error.toJSON(), error) as GraphQLError),
        };
      },
    });
    return this.handler;
  }
}
