import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import type { TestApp } from './test-app';

// The sandbox's message servers (src/config/areas/wechat-apps.ts): the official account in safe mode,
// the mini program in plaintext mode.
export const OFFICIAL = {
  appId: 'wxsandboxoffi0001',
  token: 'sandboxmsgtoken0003',
  key: 'c2FuZGJveG9mZmljaWFsYWNjb3VudGFlc2tleTAwMDA',
};
export const MINI = { appId: 'wxsandboxmini0001', token: 'sandboxmsgtoken0002' };

export interface Pushed {
  query: string;
  body: string;
}

export interface EventRow {
  id: string;
  event_type: string;
  payload: string;
  applied_at: unknown;
  outcome: string | null;
  attempts: number;
  last_error_code: string | null;
}

/** Asks the fake WeChat (in-process, /sandbox/wechat) for a push, as WeChat would send it. */
export async function sandboxPost<T>(t: TestApp, path: string, body: object): Promise<{ status: number; body: T }> {
  const res = await t.http().post(`/sandbox/wechat${path}`).set('content-type', 'application/json').send(body);
  return { status: res.status, body: res.body as T };
}

export async function pushedEvent(
  t: TestApp,
  appid: string,
  person: string,
  event: string,
  eventKey?: string,
): Promise<Pushed> {
  const res = await sandboxPost<Pushed>(t, '/event', { appid, person, event, eventKey });
  if (res.status !== 200) throw new Error(`/sandbox/wechat/event: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** POSTs a push to the receiver, as WeChat does (text/xml). */
export async function deliver(t: TestApp, appId: string, pushed: Pushed): Promise<{ status: number; text: string }> {
  const res = await t
    .http()
    .post(`/providers/wechat/events/${appId}${pushed.query ? `?${pushed.query}` : ''}`)
    .set('content-type', 'text/xml')
    .send(pushed.body);
  return { status: res.status, text: res.text };
}

export async function eventRows(t: TestApp, appId?: string): Promise<EventRow[]> {
  const rows = (await t.app
    .get(Database)
    .dataSource.query(
      'SELECT id, event_type, payload, applied_at, outcome, attempts, last_error_code FROM provider_events' +
        (appId ? ' WHERE app_id = ?' : '') +
        ' ORDER BY received_at, id',
      appId ? [appId] : [],
    )) as EventRow[];
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/** Waits (bounded) until `check` holds: events are applied after the answer, in the background. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/** The test's own signature: SHA-1 of the sorted parts. */
export function sign(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** The test's own safe-mode sealing (a third implementation), for ciphertexts WeChat would never send. */
export function seal(key43: string, xml: string, appId: string): string {
  const key = Buffer.from(`${key43}=`, 'base64');
  const message = Buffer.from(xml);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const plain = Buffer.concat([randomBytes(16), length, message, Buffer.from(appId)]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}

/** Now on the service's (sandbox) clock, in Unix seconds. */
export function nowSeconds(t: TestApp): string {
  return String(Math.floor(t.app.get(Clock).nowMs() / 1000));
}
