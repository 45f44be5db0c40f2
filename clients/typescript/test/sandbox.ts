// Helpers for the specs that talk to the running sandbox (real HTTP, real service).
import { createHash } from 'node:crypto';
import type { FetchLike } from '@wechat-login/client';
import { deviceIdsSent } from './schema';

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
export async function outboxCode(phone: string, purpose = 'LOGIN', base = serviceUrl()): Promise<string> {
  const res = await fetch(`${base}/sandbox/sms/outbox?phone=${encodeURIComponent(phone)}`);
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

export interface SentRequest {
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
}

/** fetch that records every request it lets through to the service (by operation name). */
export function recordingFetch(): {
  fetch: FetchLike;
  operations: string[];
  requests: SentRequest[];
  count(name: string): number;
} {
  const operations: string[] = [];
  const requests: SentRequest[] = [];
  return {
    operations,
    requests,
    count: (name) => operations.filter((o) => o === name).length,
    fetch: (url, init) => {
      const body = JSON.parse(init.body) as SentRequest;
      operations.push(body.operationName);
      requests.push(body);
      return fetch(url, init);
    },
  };
}

/** Every recorded call that takes a deviceId sent this one; answers the operations checked. */
export function expectDeviceIdEverywhere(requests: SentRequest[], deviceId: string): string[] {
  const checked: string[] = [];
  for (const r of requests) {
    const sent = deviceIdsSent(r.query, r.variables);
    if (!sent.length) continue;
    expect({ operation: r.operationName, deviceIds: sent }).toEqual({
      operation: r.operationName,
      deviceIds: sent.map(() => deviceId),
    });
    checked.push(r.operationName);
  }
  return checked;
}

async function post<T>(path: string, body: unknown, base = serviceUrl()): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** What Sign in with Apple gives the app (the sandbox's fake Apple plays the person). */
export async function appleAuthorize(
  person: string,
): Promise<{ identityToken: string; authorizationCode: string; nonce: string }> {
  const nonce = `raw-nonce-${person}-${Date.now()}-0123456789abcdef`;
  const a = await post<{ identityToken: string; authorizationCode: string }>('/sandbox/apple/authorize', {
    person,
    nonce: sha256Hex(nonce),
  });
  return { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce };
}

/** Account Kit's authorization code (the fake Huawei); `phone`: the person granted the phone scope. */
export async function huaweiAuthorize(person: string, phone?: string): Promise<string> {
  const body = phone ? { person, phone: phone.replace(/^\+86/, '') } : { person };
  return (await post<{ authorizationCode: string }>('/sandbox/huawei/authorize', body)).authorizationCode;
}

/** The Alipay SDK's (or my.getAuthCode's) auth code for a person (the fake Alipay, the sandbox's app). */
export async function alipayAuthorize(person: string): Promise<string> {
  return (await post<{ authCode: string }>('/sandbox/alipay/authorize', { person })).authCode;
}

/** The carrier SDK's one-tap token for the SIM's number (the fake carrier). */
export async function carrierToken(phone: string): Promise<string> {
  return (await post<{ token: string }>('/sandbox/carrier/token', { phone: phone.replace(/^\+86/, '') })).token;
}

export const SANDBOX_MINI_APPID = 'wxsandboxmini0001';

/** wx.login() in the sandbox's mini program: the fake WeChat gives a js code for `person`. */
export async function miniProgramCode(
  person: string,
  base = serviceUrl(),
  appid = SANDBOX_MINI_APPID,
): Promise<string> {
  return (await post<{ code: string }>('/sandbox/wechat/miniprogram/login', { appid, person }, base)).code;
}

/** The phone button in the sandbox's mini program: the fake WeChat's phone code for `phone`. */
export async function miniProgramPhoneCode(
  person: string,
  phone: string,
  base = serviceUrl(),
  appid = SANDBOX_MINI_APPID,
): Promise<string> {
  const body = { appid, person, phone: phone.replace(/^\+86/, '') };
  return (await post<{ phoneCode: string }>('/sandbox/wechat/miniprogram/phone', body, base)).phoneCode;
}

/**
 * The person at WeChat's web page (official account consent, website QR) approves: the fake answers
 * with WeChat's redirect to redirectUri?code=…&state=…, returned here as the browser would land.
 */
export async function wechatWebApprove(authorizeUrl: string, person: string): Promise<string> {
  const url = `${authorizeUrl.replace(/#wechat_redirect$/, '')}&person=${encodeURIComponent(person)}`;
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`WeChat's page answered ${res.status}, not a redirect`);
  return location;
}

/** A Web Storage (localStorage / sessionStorage) for Node: a Map. */
export function memoryWebStorage(): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
  map: Map<string, string>;
} {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}
