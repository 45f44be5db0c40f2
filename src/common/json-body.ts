import type { NextFunction, Request, Response } from 'express';
import { AsyncResource } from 'node:async_hooks';

type BodyError = Error & { status: number; statusCode: number; expose: boolean; type: string };

function bodyError(status: number, type: string, message: string): BodyError {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** '64kb' → 65536. */
export function parseByteSize(text: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = match[2].toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * The JSON request body, read without the generality of body-parser (no charsets other than
 * UTF-8, no inflation): a body over `limitBytes` is refused with 413 before it is read in full,
 * malformed JSON with 400, both the way express reports body-parser's errors.
 */
export function jsonBody(limitBytes: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const type = req.headers['content-type'];
    if (req.method === 'GET' || req.method === 'HEAD' || !type || !JSON_TYPE.test(type)) return next();
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding !== 'identity') {
      return next(bodyError(415, 'encoding.unsupported', `unsupported content encoding "${encoding}"`));
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limitBytes) {
      req.resume();
      return next(bodyError(413, 'entity.too.large', 'request entity too large'));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        next(bodyError(413, 'entity.too.large', 'request entity too large'));
        return;
      }
      chunks.push(chunk);
    });
    // The stream's events come from the socket: go on in the request's own async context (one
    // resource for both handlers; AsyncResource.bind would make one per handler).
    const context = new AsyncResource('jsonBody');
    req.on('error', (error: Error) =>
      context.runInAsyncScope(() => {
        if (failed) return;
        failed = true;
        next(bodyError(400, 'request.aborted', error.message));
      }),
    );
    req.on('end', () =>
      context.runInAsyncScope(() => {
        if (failed) return;
        const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          req.body = {};
          return next();
        }
        try {
          req.body = JSON.parse(text);
        } catch {
          return next(bodyError(400, 'entity.parse.failed', 'malformed JSON body'));
        }
        next();
      }),
    );
  };
}
