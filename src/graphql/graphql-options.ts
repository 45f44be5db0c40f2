import { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, ValidationContext } from 'graphql';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.service';
import type { SessionsService } from '../sessions/sessions.service';
import { adminOnlySchemaHelp } from './admin-introspection.plugin';
import { ErrorCode } from '../errors/error-code';
import { formatGraphqlError } from './format-error';
import { noStoreResponses } from './no-store.plugin';

export interface GraphqlContext {
  req: Request;
  res: Response;
}

// graphql-armor reports a rejected document as BAD_USER_INPUT by default; ours says what happened.
function reportTooComplex(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } }));
}

const rejection = { propagateOnRejection: false, onReject: [reportTooComplex] };

export function buildGraphqlOptions(config: AppConfig, sessions: SessionsService): ApolloDriverConfig {
  const limits = config.get('graphql');
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ...rejection },
    // graphql-armor lets `__typename` aliases through by default: 600 of them in one document were
    // accepted. Every alias counts here.
    maxAliases: { n: limits.maxAliases, allowList: [], ...rejection },
    costLimit: { maxCost: limits.maxCost, ...rejection },
    maxDirectives: { n: 20, ...rejection },
    // graphql-js's own parser limit (parseOptions below) instead: graphql-armor's throws from a hook
    // outside Apollo's parse step, which made the refusal an HTTP 500.
    maxTokens: { enabled: false },
    // Suggestions are handled by adminOnlySchemaHelp (kept for admins, and in the sandbox).
    blockFieldSuggestion: { enabled: false },
  });
  const protection = armor.protect();

  return {
    path: '/graphql',
    autoSchemaFile: limits.schemaFile ?? true,
    sortSchema: true,
    // The self-hosted playground is its own route; Apollo's landing pages load assets from a CDN.
    graphiql: false,
    // Always on at Apollo's level; in production adminOnlySchemaHelp refuses it to non-admins.
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    autoTransformHttpErrors: false,
    formatError: formatGraphqlError,
    // A document over the limit is a parse error: HTTP 400, QUERY_TOO_COMPLEX (see formatGraphqlError).
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: protection.validationRules,
    plugins: [
      // Apollo otherwise loads its federation trace plugin (and its protobuf, ~0.4 MB) at every start
      // to find out that this schema is not a subgraph: it would do nothing here.
      ApolloServerPluginInlineTraceDisabled(),
      ...noStoreResponses(),
      ...protection.plugins,
      ...(config.isProduction ? [adminOnlySchemaHelp(sessions)] : []),
    ],
    context: ({ req, res }: GraphqlContext): GraphqlContext => ({ req, res }),
  };
}
