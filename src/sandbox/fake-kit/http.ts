// Body parsing, answers and input checks that every fake shares.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Json = Record<string, unknown>;

/** Bad input to a fake (a control endpoint, or a body it cannot read): answered with 400 and the message. */
export class FakeInputError extends Error {}

const MAX_BODY = 16 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json;charset=UTF-8');
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/**
 * A JSON (or, with `form`, a form) body as an object; mounted inside the service, Express may have
 * parsed it already. WeChat's fake reads JSON only: a form body to it is not JSON.
 */
export async function readBody(req: IncomingMessage, options: { form?: boolean } = { form: true }): Promise<Json> {
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
  const text = Buffer.concat(chunks).toString('utf8');
  if (options.form && (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch {
    throw new FakeInputError('body must be a JSON object');
  }
}

export function optionalString(body: Json, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FakeInputError(`${key} must be a string`);
  return value;
}

export function requireString(body: Json, key: string): string {
  const value = optionalString(body, key);
  if (!value) throw new FakeInputError(`${key} is required`);
  return value;
}

export function optionalBoolean(body: Json, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new FakeInputError(`${key} must be true or false`);
  return value;
}
