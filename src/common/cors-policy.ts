import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import type { NextFunction, Request, Response } from 'express';
import { corsOriginAllowed, CorsSettings } from '../config/cors-origins';

// The headers a page may send: JSON bodies, the bearer token, and the two headers Apollo's CSRF
// prevention accepts as proof of a preflighted request (needed for GET queries and for a
// text/plain body; a JSON POST is preflighted already).
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
];

/** A browser may reuse a preflight answer this long (Chromium caps it at 2 hours). */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Options for Nest's enableCors (the `cors` package): an allowed origin is echoed back, never `*`;
 * no credentials (the service reads a bearer token, never a cookie, so a page has nothing to send
 * with `credentials: 'include'`); an origin off the list gets no Access-Control-* header at all, and
 * its preflight goes on to the routes (Apollo answers it 400) and the browser refuses the call.
 */
export function corsOptions(settings: CorsSettings): CorsOptions {
  return {
    origin: (origin, callback) => callback(null, corsOriginAllowed(origin, settings)),
    methods: ['GET', 'POST'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ['x-request-id'],
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
    optionsSuccessStatus: 204,
  };
}

/** Every answer depends on Origin (allowed or not), so shared caches must key on it. */
export function varyOnOrigin(_req: Request, res: Response, next: NextFunction): void {
  res.vary('Origin');
  next();
}
