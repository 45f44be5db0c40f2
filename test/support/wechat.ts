import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { bearer, latestCode, sendCode } from './flows';
import type { GqlResponse, TestApp } from './test-app';
import { startTestApp } from './test-app';

export const SECOND_APP = { appId: 'wxsecondapp000002', secret: 'secondappsecret00000000000000002' };

export const START = `mutation Start($deviceId: String, $appId: String) {
  startWechatLogin(deviceId: $deviceId, appId: $appId) { appId scope state expiresAt }
}`;

export const WECHAT_LOGIN = `mutation WechatLogin($input: WechatLoginInput!) {
  wechatLogin(input: $input) {
    isBind bindTicket bindTicketExpiresAt
    session { accessToken refreshToken user { id phone wechatLinked nickname } }
    wechatProfile { openid unionid nickname avatarUrl }
  }
}`;

export const BIND_PHONE = `mutation Bind($input: BindPhoneInput!) {
  bindPhone(input: $input) { accessToken refreshToken user { id phone wechatLinked nickname } }
}`;

export interface WechatLoginData {
  wechatLogin: {
    isBind: boolean;
    bindTicket: string | null;
    session: {
      accessToken: string;
      refreshToken: string;
      user: { id: string; phone: string | null; wechatLinked: boolean; nickname: string | null };
    } | null;
    wechatProfile: { openid: string; unionid: string | null; nickname: string | null; avatarUrl: string | null };
  };
}

export interface WechatWorld {
  t: TestApp;
  fake: FakeWechatServer;
  /** The fake's own URL, for tests that play the service's side of WeChat's API. */
  fakeBase: string;
  close(): Promise<void>;
}

/** For tests of a WeChat that hangs: the fake's delay is far beyond these, so they always fire. */
export const SHORT_WECHAT = { WECHAT_TIMEOUT_MS: '400', WECHAT_BUDGET_MS: '1500' };

/** The service and a fake WeChat server on its own port, spoken to over real HTTP. */
export async function startWechatWorld(env: Record<string, string> = {}): Promise<WechatWorld> {
  const fake = new FakeWechatServer({ apps: [SANDBOX_WECHAT_APP, SECOND_APP] });
  const base = await fake.listen(0);
  const t = await startTestApp({
    env: {
      SMS_CONSOLE_LOG_CODES: 'false',
      WECHAT_API_BASE: base,
      WECHAT_APPS: `${SANDBOX_WECHAT_APP.appId}:${SANDBOX_WECHAT_APP.secret},${SECOND_APP.appId}:${SECOND_APP.secret}`,
      // A stall of the machine never turns an answer into a timeout; tests of hangs pass SHORT_WECHAT.
      WECHAT_TIMEOUT_MS: '15000',
      WECHAT_BUDGET_MS: '30000',
      ...env,
    },
  });
  return {
    t,
    fake,
    fakeBase: base,
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}

/** The phone's side: WeChat approves, the app gets a code for the state it started with. */
export async function authorizeOnPhone(
  world: WechatWorld,
  options: {
    person?: string;
    deviceId?: string;
    appId?: string;
    withoutUnionid?: boolean;
    nickname?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ code: string; state: string; openid: string; unionid: string }> {
  const appId = options.appId ?? SANDBOX_WECHAT_APP.appId;
  const started = await world.t.gql<{ startWechatLogin: { state: string } }>(
    START,
    { deviceId: options.deviceId ?? 'device-1', appId },
    options.headers ?? {},
  );
  if (!started.body.data) throw new Error(`startWechatLogin failed: ${JSON.stringify(started.body.errors)}`);
  const state = started.body.data.startWechatLogin.state;
  const approved = world.fake.authorize({
    appid: appId,
    state,
    person: options.person,
    withoutUnionid: options.withoutUnionid,
    nickname: options.nickname,
  });
  // unionid is '' for an app not bound to the Open Platform (the fake gives none).
  return { code: approved.code, state, openid: approved.openid, unionid: approved.unionid ?? '' };
}

export function wechatLogin(
  world: WechatWorld,
  input: { code: string; state?: string | null; deviceId?: string | null; appId?: string; platform?: string },
): Promise<GqlResponse<WechatLoginData>> {
  return world.t.gql<WechatLoginData>(WECHAT_LOGIN, { input: { deviceId: 'device-1', ...input } });
}

/** A full first login and phone binding of a WeChat person; returns the session. */
export async function loginAndBind(
  world: WechatWorld,
  person: string,
  phone: string,
  options: { appId?: string; deviceId?: string } = {},
): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
  const deviceId = options.deviceId ?? 'device-1';
  const auth = await authorizeOnPhone(world, { person, appId: options.appId, deviceId });
  const res = await wechatLogin(world, { code: auth.code, state: auth.state, deviceId, appId: options.appId });
  const result = res.body.data?.wechatLogin;
  if (!result) throw new Error(`wechatLogin failed: ${JSON.stringify(res.body.errors)}`);
  if (result.isBind) return { ...result.session!, userId: result.session!.user.id };
  const sent = await world.t.gql('mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
    input: { phone, purpose: 'BIND_PHONE', bindTicket: result.bindTicket },
  });
  if (sent.body.errors) throw new Error(`sendSmsCode failed: ${JSON.stringify(sent.body.errors)}`);
  const bound = await world.t.gql<{ bindPhone: { accessToken: string; refreshToken: string; user: { id: string } } }>(
    BIND_PHONE,
    {
      input: { bindTicket: result.bindTicket, phone, smsCode: latestCode(world.t, phone), deviceId },
    },
  );
  if (!bound.body.data) throw new Error(`bindPhone failed: ${JSON.stringify(bound.body.errors)}`);
  return { ...bound.body.data.bindPhone, userId: bound.body.data.bindPhone.user.id };
}

export { bearer, sendCode };
