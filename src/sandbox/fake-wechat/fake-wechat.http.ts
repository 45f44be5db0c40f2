// Small HTTP and input helpers shared by the fake WeChat's parts.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WECHAT_ERRMSG } from './errmsg';
import type { Json } from './fake-wechat.types';

export type Answer = { status: number; body: string; contentType?: string; location?: string } | { drop: true };

/** Bad input to a sandbox control endpoint: answered with 400 and the message. */
export class FakeInputError extends Error {}

const MAX_BODY = 16 * 1024;

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

/** A JSON object body; mounted inside the service, Express has already parsed it. */
export async function readJson(req: IncomingMessage): Promise<Json> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0) return parsed as Json;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new FakeInputError('body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch {
    throw new FakeInputError('body must be a JSON object');
  }
}

export function requireString(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new FakeInputError(`${key} is required`);
  return value;
}

export function optionalString(body: Json, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FakeInputError(`${key} must be a string`);
  return value;
}

export function optionalBoolean(body: Json, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new FakeInputError(`${key} must be true or false`);
  return value;
}

// The URL the browser asked for: mounted in the service, Express keeps it whole in originalUrl.
export function publicUrl(req: IncomingMessage): string {
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}${path}`;
}
