import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
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
 * Structured JSON logs with a request id on every line. Query strings never reach a log (the WeChat
 * API carries secrets and codes in them), known secret keys are censored, and phone-like numbers in
 * messages are masked as a last line of defence.
 */
export function buildLoggerParams(level: string, destination?: DestinationStream): Params {
  return {
    pinoHttp: [
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
        genReqId: (req: IncomingMessage) => String((req as IncomingMessage & { id?: string }).id ?? ''),
        autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
        // The GraphQL operation name only (never variables), when it is a valid GraphQL name.
        customProps: (req: IncomingMessage) => {
          const body = (req as IncomingMessage & { body?: { operationName?: unknown; query?: unknown } }).body;
          const named =
            typeof body?.query === 'string'
              ? /^\s*(?:query|mutation)\s+([_A-Za-z]\w*)/.exec(body.query.slice(0, 200))
              : null;
          const name = body?.operationName ?? named?.[1];
          return typeof name === 'string' && /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) ? { operation: name } : {};
        },
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
          error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        serializers: {
          req: (req: { id?: string; method?: string; url?: string }) => ({
            id: req.id,
            method: req.method,
            path: (req.url ?? '').split('?')[0],
          }),
          res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
          err: (err: Error & { code?: unknown }) => ({
            type: err.name,
            code: err.code,
            message: maskPhonesInText(err.message),
          }),
        },
      },
      destination ?? pino.destination({ fd: 1, sync: false }),
    ],
  };
}
