import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { bearer } from './flows';
import type { TestApp } from './test-app';

// What a person brings back from each provider's sandbox fake (mounted in the app, zero-config
// sandbox): the inputs of that provider's login, link, and deleteMyAccount's `reauth`.

export const PROVIDERS = ['WECHAT', 'APPLE', 'HUAWEI', 'QQ', 'ALIPAY'] as const;
export type Provider = (typeof PROVIDERS)[number];
export type ProofInput = Record<string, string>;

const START_WECHAT = `mutation S($deviceId: String) { startWechatLogin(deviceId: $deviceId) { state } }`;
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** The app's own base URL (it must listen: the fakes are called over real HTTP). */
export function baseOf(t: TestApp): string {
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

export async function postJson<T = Record<string, string>>(t: TestApp, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${baseOf(t)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * The person approves at the provider. WeChat's code comes back with the state the app started
 * with, on `deviceId` (the device of the person's login, unless told); signed in (`token`), that
 * state is bound to the user (a link or a reauthentication).
 */
export async function approve(
  t: TestApp,
  provider: Provider,
  person: string,
  token?: string,
  deviceId = `device-${person}`,
): Promise<ProofInput> {
  switch (provider) {
    case 'WECHAT': {
      const started = await t.gql<{ startWechatLogin: { state: string } }>(
        START_WECHAT,
        { deviceId },
        token ? bearer(token) : {},
      );
      const state = started.body.data!.startWechatLogin.state;
      const { code } = await postJson(t, '/sandbox/wechat/authorize', {
        appid: SANDBOX_WECHAT_APP.appId,
        state,
        person,
      });
      return { code, state };
    }
    case 'APPLE': {
      const nonce = `nonce-${person}-${Math.random()}`;
      const a = await postJson(t, '/sandbox/apple/authorize', { person, nonce: sha256(nonce) });
      return { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce };
    }
    case 'HUAWEI':
      return { authorizationCode: (await postJson(t, '/sandbox/huawei/authorize', { person })).authorizationCode };
    case 'QQ':
      return { accessToken: (await postJson(t, '/sandbox/qq/authorize', { person })).accessToken };
    case 'ALIPAY':
      return { authCode: (await postJson(t, '/sandbox/alipay/authorize', { person })).authCode };
  }
}
