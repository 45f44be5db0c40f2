import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { DestinationStream, Logger } from 'pino';
import { currentRequestId } from '../common/request-context';
import { maskPhonesInText } from '../common/mask';

// Keys whose values are secrets wherever they appear in a logged object.
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'appSecret',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'smsCode',
  'wechatCode',
  'loginState',
  'bindTicket',
  'phone',
];

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
];

/**
 * Structured JSON logs with the request id on every line written while serving a request (from the
 * request context, see request-context.ts; no child logger per request). Query strings never reach a
 * log (the WeChat API carries secrets and codes in them), known secret keys are censored, and
 * phone-like numbers in messages are masked as a last line of defence.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((arg) => (typeof arg === 'string' ? maskPhonesInText(arg) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
      mixin: () => {
        const reqId = currentRequestId();
        return reqId ? { reqId } : {};
      },
      serializers: {
        err: (err: Error & { code?: unknown }) => ({
          type: err.name,
          code: err.code,
          message: maskPhonesInText(err.message),
        }),
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** The GraphQL operation name only (never variables), when it is a valid GraphQL name. */
export function operationNameOf(body: { operationName?: unknown; query?: unknown } | undefined): string | undefined {
  const named =
    typeof body?.query === 'string' ? /^\s*(?:query|mutation)\s+([_A-Za-z]\w*)/.exec(body.query.slice(0, 200)) : null;
  const name = body?.operationName ?? named?.[1];
  return typeof name === 'string' && /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) ? name : undefined;
}

/** The access log line's level: errors and 5xx error, 4xx warn, the rest info. */
export function accessLevel(statusCode: number, failed: boolean): 'error' | 'warn' | 'info' {
  return failed || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/** One access line per request (not /health), built only when its level is enabled. */
export function logAccess(
  logger: Logger,
  req: IncomingMessage & { id?: string; originalUrl?: string; body?: { operationName?: unknown; query?: unknown } },
  res: ServerResponse,
  startedAt: number,
): void {
  const url = req.originalUrl ?? req.url ?? '';
  if (url.startsWith('/health')) return;
  const level = accessLevel(res.statusCode, !res.writableFinished);
  if (!logger.isLevelEnabled(level)) return;
  const operation = operationNameOf(req.body);
  logger[level](
    {
      req: { id: req.id, method: req.method, path: url.split('?')[0] },
      res: { statusCode: res.statusCode },
      responseTime: Date.now() - startedAt,
      ...(operation ? { operation } : {}),
    },
    res.writableFinished ? 'request completed' : 'request aborted',
  );
}
