import { SmsOutbox } from '../../src/sandbox/sms-outbox';
import type { GqlResponse, TestApp } from './test-app';

export const SEND_CODE = `mutation Send($input: SendSmsCodeInput!) {
  sendSmsCode(input: $input) { phone expiresAt resendAfter }
}`;

export const LOGIN = `mutation Login($input: PhoneLoginInput!) {
  loginWithPhone(input: $input) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    user { id phone status wechatLinked }
  }
}`;

export const REFRESH = `mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) { accessToken refreshToken refreshTokenExpiresAt user { id } }
}`;

export const ME = '{ me { id phone nickname status wechatLinked createdAt } }';

export interface LoggedIn {
  accessToken: string;
  refreshToken: string;
  userId: string;
  phone: string;
}

/** Distinct valid mainland mobile numbers, one per call, so tests never share limits. */
let sequence = 0;
export function nextPhone(prefix = '138'): string {
  sequence += 1;
  return `+86${prefix}${String(process.pid % 10000).padStart(4, '0')}${String(sequence).padStart(4, '0')}`;
}

export function errorCode(res: { body: { errors?: { extensions?: Record<string, unknown> }[] } }): unknown {
  return res.body.errors?.[0]?.extensions?.code;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function sendCode(
  t: TestApp,
  phone: string,
  purpose = 'LOGIN',
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  return t.gql(SEND_CODE, { input: { phone, purpose } }, headers);
}

/** A person solving the sandbox captcha: a token that buys one send over an SMS budget. */
export async function solveCaptcha(t: TestApp): Promise<string> {
  const res = await t.http().post('/sandbox/captcha/solve').send({});
  if (res.status !== 200 || typeof res.body.captchaToken !== 'string') {
    throw new Error(`captcha solve failed: ${res.status}`);
  }
  return res.body.captchaToken as string;
}

/** The newest code the sandbox outbox holds for this phone (what the user reads on their phone). */
export function latestCode(t: TestApp, phone: string): string {
  const code = t.app.get(SmsOutbox).latestCode(phone);
  if (!code) throw new Error('no code was sent to this phone');
  return code;
}

export async function loginWithPhone(
  t: TestApp,
  phone: string,
  options: { deviceId?: string; platform?: string; headers?: Record<string, string> } = {},
): Promise<LoggedIn> {
  const sent = await sendCode(t, phone, 'LOGIN', options.headers);
  if (sent.body.errors) throw new Error(`sendSmsCode failed: ${JSON.stringify(sent.body.errors)}`);
  const res = await t.gql(
    LOGIN,
    { input: { phone, smsCode: latestCode(t, phone), deviceId: options.deviceId, platform: options.platform } },
    options.headers,
  );
  const session = (
    res.body.data as { loginWithPhone?: { accessToken: string; refreshToken: string; user: { id: string } } } | null
  )?.loginWithPhone;
  if (!session) throw new Error(`loginWithPhone failed: ${JSON.stringify(res.body.errors)}`);
  return { accessToken: session.accessToken, refreshToken: session.refreshToken, userId: session.user.id, phone };
}

/** A wrong code for this phone: the right one plus one, modulo a million. */
export function wrongCode(right: string): string {
  return String((Number(right) + 1) % 1_000_000).padStart(6, '0');
}
