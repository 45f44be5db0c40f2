// Helpers for the specs that talk to the running sandbox (real HTTP, real service).
import type { FetchLike } from '@wechat-login/client';

export const serviceUrl = (): string => {
  const url = process.env.LOGIN_SERVICE_URL;
  if (!url) throw new Error('LOGIN_SERVICE_URL is not set (test/sandbox-setup.ts sets it)');
  return url;
};
export const graphqlUrl = (): string => `${serviceUrl()}/graphql`;
export const SANDBOX_APPID = 'wxsandbox00000001';

let counter = 0;
/** A fresh mainland mobile number per call, so that tests never share SMS limits. */
export function freshPhone(): string {
  counter += 1;
  const n = (Date.now() % 1_000_000) * 100 + (counter % 100) + process.pid * 7;
  return `+86139${String(n % 100_000_000).padStart(8, '0')}`;
}

/** The newest code the sandbox "sent" to this phone. */
export async function outboxCode(phone: string, purpose = 'LOGIN'): Promise<string> {
  const res = await fetch(`${serviceUrl()}/sandbox/sms/outbox?phone=${encodeURIComponent(phone)}`);
  const { messages } = (await res.json()) as { messages: { code: string; purpose: string }[] };
  const message = messages.find((m) => m.purpose === purpose);
  if (!message) throw new Error(`no ${purpose} code in the outbox`);
  return message.code;
}

/** What the WeChat app does after SendAuth.Req: the fake WeChat authorizes `person` and answers a code. */
export async function wechatAuthorize(person: string, state: string): Promise<string> {
  const res = await fetch(`${serviceUrl()}/sandbox/wechat/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: SANDBOX_APPID, person, state }),
  });
  if (!res.ok) throw new Error(`authorize: HTTP ${res.status}`);
  return ((await res.json()) as { code: string }).code;
}

export async function wechatFault(fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${serviceUrl()}/sandbox/wechat/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`faults: HTTP ${res.status}`);
}

/** Moves the service's clock (and the fake WeChat's) forward. */
export async function advanceServerClock(seconds: number): Promise<void> {
  const res = await fetch(`${serviceUrl()}/sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds: seconds }),
  });
  if (!res.ok) throw new Error(`clock: HTTP ${res.status}`);
}

/** fetch that records the operation name of every request it lets through to the service. */
export function recordingFetch(): { fetch: FetchLike; operations: string[]; count(name: string): number } {
  const operations: string[] = [];
  return {
    operations,
    count: (name) => operations.filter((o) => o === name).length,
    fetch: (url, init) => {
      operations.push(JSON.parse(init.body).operationName);
      return fetch(url, init);
    },
  };
}
