import { unwrapResolverError } from '@apollo/server/errors';
import { HttpException, Logger } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { currentRequestId } from '../common/request-context';
import { isDatabaseUnavailable, isTransactionConflict } from '../database/database-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode, errorPolicy } from '../errors/error-code';

const CATALOGUE = new Set<string>(Object.values(ErrorCode));

// Apollo's and graphql-js's own codes for a request that is malformed rather than failing.
const REQUEST_SHAPE_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const logger = new Logger('GraphQL');

/**
 * The one place where errors leave the server. Output carries a catalogue code, a message meant for
 * the caller and the request id; never a stack, SQL, an upstream body or the original error.
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const requestId = currentRequestId();
  const base = { locations: formatted.locations, path: formatted.path };

  const build = (
    code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
    retryable = errorPolicy(code).retryable,
  ): GraphQLFormattedError => {
    const extensions: Record<string, unknown> = { code, ...extra };
    if (retryable) extensions.retryable = true;
    if (requestId) extensions.requestId = requestId;
    return { message, ...base, extensions };
  };

  if (original instanceof DomainError) {
    const { field, wechatErrcode, retryAfterSeconds, captcha, retryable } = original.details;
    return build(
      original.code,
      original.message,
      stripUndefined({ field, wechatErrcode, retryAfterSeconds, captcha }),
      retryable ?? errorPolicy(original.code).retryable,
    );
  }

  if (original instanceof GraphQLError) {
    // Apollo re-wraps validation errors under its own code; a code we set ourselves sits inside.
    const inner = original.originalError instanceof GraphQLError ? original.originalError : undefined;
    const code = String(inner?.extensions?.code ?? original.extensions?.code ?? '');
    if (CATALOGUE.has(code)) {
      const { code: _code, ...rest } = (inner ?? original).extensions ?? {};
      return build(code as ErrorCode, original.message, pickSafe(rest));
    }
    // graphql-js's token limit (parseOptions.maxTokens) is reported as a syntax error.
    const tokens = /^Syntax Error: Document contains more th\w+ (\d+) tokens/.exec(original.message);
    if (tokens) {
      return build(ErrorCode.QUERY_TOO_COMPLEX, `Token limit of ${tokens[1]} exceeded.`);
    }
    if (REQUEST_SHAPE_CODES.has(code)) {
      return build(ErrorCode.BAD_USER_INPUT, original.message);
    }
  }

  // A lost connection, a cluster node out of quorum, or a transaction that kept losing deadlocks or
  // certifications after every retry: the database cannot serve this now; never INTERNAL.
  if (isDatabaseUnavailable(original) || isTransactionConflict(original)) {
    logger.warn(`database unavailable: ${describe(original)}`);
    return build(ErrorCode.SERVICE_UNAVAILABLE, errorPolicy(ErrorCode.SERVICE_UNAVAILABLE).message);
  }

  if (original instanceof HttpException) {
    const code = httpStatusToCode(original.getStatus());
    if (code) return build(code, errorPolicy(code).message);
  }

  logger.error(`unexpected error: ${describe(original)}`, original instanceof Error ? original.stack : undefined);
  return build(ErrorCode.INTERNAL, `Internal error${requestId ? ` (request id ${requestId})` : ''}.`);
}

function httpStatusToCode(status: number): ErrorCode | undefined {
  switch (status) {
    case 400:
      return ErrorCode.BAD_USER_INPUT;
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 429:
      return ErrorCode.TOO_MANY_REQUESTS;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    default:
      return undefined;
  }
}

// Only these extension keys may travel from a thrown GraphQLError to the caller.
function pickSafe(extensions: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['field', 'wechatErrcode', 'retryAfterSeconds']) {
    if (extensions[key] !== undefined) out[key] = extensions[key];
  }
  return out;
}

function stripUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

// Name, code and message only: driver errors carry SQL parameters in other properties.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${code ? ` ${String(code)}` : ''}: ${error.message}`;
}
