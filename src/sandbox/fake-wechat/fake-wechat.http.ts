// Small HTTP and input helpers shared by the fake WeChat's parts.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WECHAT_ERRMSG } from './errmsg';
import { readBody, type Json } from '../fake-kit';

export { FakeInputError, optionalBoolean, optionalString, requireString } from '../fake-kit';

export type Answer = { status: number; body: string; contentType?: string; location?: string } | { drop: true };

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'";

export function openidFor(appid: string, label: string): string {
  return `o${createHash('sha256').update(`openid:${appid}:${label}`).digest('base64url').slice(0, 27)}`;
}

export function token64(): string {
  return randomBytes(48).toString('base64url');
}

export function randomCode(): string {
  return randomBytes(16).toString('hex');
}

// The trace suffix WeChat appends to every errmsg.
function rid(): string {
  const part = (): string => randomBytes(4).toString('hex');
  return `, rid: ${part()}-${part()}-${part()}`;
}

export function errorJson(errcode: number): Json {
  return { errcode, errmsg: `${WECHAT_ERRMSG[errcode] ?? 'unknown error'}${rid()}` };
}

export function send(res: ServerResponse, answer: Answer, defaultContentType: string): void {
  if ('drop' in answer) {
    res.socket?.destroy();
    return;
  }
  res.statusCode = answer.status;
  res.setHeader('Content-Type', answer.contentType ?? defaultContentType);
  res.setHeader('Cache-Control', 'no-store');
  // The sandbox's pages: inline style and data: images, nothing else (no script at all).
  if ((answer.contentType ?? '').startsWith('text/html')) res.setHeader('Content-Security-Policy', PAGE_CSP);
  if (answer.location) res.setHeader('Location', answer.location);
  res.end(answer.body);
}

/** A JSON object body (never a form: WeChat's APIs and the sandbox's controls take JSON). */
export function readJson(req: IncomingMessage): Promise<Json> {
  return readBody(req, { form: false });
}

// The URL the browser asked for: mounted in the service, Express keeps it whole in originalUrl.
export function publicUrl(req: IncomingMessage): string {
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}${path}`;
}
