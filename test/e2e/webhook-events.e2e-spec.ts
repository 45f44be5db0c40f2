import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Clock } from '../../src/common/clock';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { bearer, errorCode, loginWithPhone, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { verifyReceipt, WebhookReceiver } from '../support/webhook-receiver';

// The webhooks the first round did not reach from their real triggers: user.merged and phone.changed
// (a late unionid folding two users; an admin resolving a conflict), and sessions.revoked for a
// refresh token used again, a WeChat code replayed from another device, and the user folded away.

const APP = { appId: 'wxhookapp00000001', secret: 'hookappsecret000000000000000001', channel: 'app' as const };
// A mini program not yet bound to the Open Platform: openid only, its unionid arrives later.
const LONE = {
  appId: 'wxhooklone0000001',
  secret: 'hooklonesecret00000000000000001',
  channel: 'mini_program' as const,
};
// Another, for the second test (the first one binds LONE).
const LONE2 = {
  appId: 'wxhooklone0000002',
  secret: 'hooklonesecret00000000000000002',
  channel: 'mini_program' as const,
};
const ADMIN_PHONE = '+8613900000088';

const RESULT = 'isBind session { accessToken refreshToken user { id phone } }';
const START =
  'mutation S($deviceId: String, $appId: String) { startWechatLogin(deviceId: $deviceId, appId: $appId) { state } }';
const LOGIN = `mutation L($input: WechatLoginInput!) { wechatLogin(input: $input) { ${RESULT} } }`;
const MINI_LOGIN = `mutation M($input: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $input) { ${RESULT} } }`;
const LINK = 'mutation K($input: LinkWechatInput!) { linkWechat(input: $input) { id } }';
const REFRESH = 'mutation R($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }';

interface Login {
  isBind: boolean;
  session: { accessToken: string; refreshToken: string; user: { id: string; phone: string | null } } | null;
}

describe('webhooks from merges, phone moves and revoked sessions', () => {
  const secret = newWebhookSecret();
  const receiver = new WebhookReceiver();
  let fake: FakeWechatServer;
  let t: TestApp;
  let admin: string;
  let base: string;

  async function drain(): Promise<void> {
    const drainer = t.app.get(OutboxDrainer);
    while ((await drainer.runOnce()).claimed > 0);
  }

  /** Everything written so far delivered: where the next test's receipts start. */
  async function mark(): Promise<number> {
    await drain();
    return receiver.receipts.length;
  }

  /** What arrived since `from` (verified by the specification's library and by hand). */
  async function eventsSince(from: number): Promise<{ type: string; data: Record<string, unknown> }[]> {
    await drain();
    for (const receipt of receiver.receipts.slice(from))
      expect(verifyReceipt(secret, receipt)).toEqual({ library: true, independent: true });
    return receiver
      .accepted()
      .slice(from)
      .map(({ type, data }) => ({ type, data }));
  }

  /** The native app's code for `person` (and the state it goes with), from `deviceId`. */
  async function appCode(
    person: string,
    deviceId: string,
    headers: Record<string, string> = {},
  ): Promise<{ code: string; state: string }> {
    // Signed in: a state for linking.
    const started = await t.gql<{ startWechatLogin: { state: string } }>(
      START,
      { deviceId, appId: APP.appId },
      headers,
    );
    const state = started.body.data!.startWechatLogin.state;
    return { code: fake.authorize({ appid: APP.appId, state, person }).code, state };
  }

  async function appLogin(person: string, deviceId = `d-${person}`): Promise<Login> {
    const { code, state } = await appCode(person, deviceId);
    const res = await t.gql<{ wechatLogin: Login }>(LOGIN, {
      input: { code, state, deviceId, platform: 'ANDROID', appId: APP.appId },
    });
    if (!res.body.data) throw new Error(`wechatLogin: ${JSON.stringify(res.body.errors)}`);
    return res.body.data.wechatLogin;
  }

  async function miniLogin(person: string, appId = LONE.appId): Promise<Login> {
    const { code } = fake.miniProgramLogin({ appid: appId, person });
    const res = await t.gql<{ wechatMiniProgramLogin: Login }>(MINI_LOGIN, { input: { code, appId } });
    if (!res.body.data) throw new Error(`wechatMiniProgramLogin: ${JSON.stringify(res.body.errors)}`);
    return res.body.data.wechatMiniProgramLogin;
  }

  async function linkApp(person: string, accessToken: string): Promise<void> {
    const { code, state } = await appCode(person, `link-${person}`, bearer(accessToken));
    const res = await t.gql(
      LINK,
      { input: { code, state, deviceId: `link-${person}`, appId: APP.appId } },
      bearer(accessToken),
    );
    expect(res.body.errors).toBeUndefined();
  }

  async function linkApple(person: string, accessToken: string): Promise<void> {
    const rawNonce = `nonce-${person}`;
    const approved = await fetch(`${base}/sandbox/apple/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ person, nonce: createHash('sha256').update(rawNonce).digest('hex') }),
    });
    const { identityToken, authorizationCode } = (await approved.json()) as Record<string, string>;
    const res = await t.gql(
      'mutation A($input: AppleLoginInput!) { linkApple(input: $input) { id } }',
      { input: { identityToken, authorizationCode, nonce: rawNonce } },
      bearer(accessToken),
    );
    expect(res.body.errors).toBeUndefined();
  }

  async function sessionIdOf(accessToken: string): Promise<string> {
    const mine = await t.gql<{ mySessions: { id: string; current: boolean }[] }>(
      '{ mySessions { id current } }',
      undefined,
      bearer(accessToken),
    );
    return mine.body.data!.mySessions.find((s) => s.current)!.id;
  }

  beforeAll(async () => {
    fake = new FakeWechatServer({ apps: [APP, { ...LONE, openPlatform: false }, { ...LONE2, openPlatform: false }] });
    const wechatBase = await fake.listen(0);
    const url = await receiver.listen();
    t = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        WECHAT_API_BASE: wechatBase,
        WECHAT_OPEN_BASE: wechatBase,
        WECHAT_APPS: [APP, LONE, LONE2].map((a) => `${a.channel}:${a.appId}:${a.secret}`).join(','),
        // Users without a phone exist here: folding needs someone with nothing else to lose.
        REQUIRE_PHONE: 'false',
        ADMIN_PHONES: ADMIN_PHONE,
        WEBHOOK_URL: url,
        WEBHOOK_SECRET: secret,
      },
    });
    // The sandbox's Apple fake answers on the app's own port.
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    admin = (await loginWithPhone(t, ADMIN_PHONE)).accessToken;
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
    await receiver.close();
  });

  beforeEach(async () => {
    await drain();
  });

  it('a late unionid folds the user who has nothing else: user.merged, and the folded sessions revoked', async () => {
    const lone = await miniLogin('zhao');
    const app = await appLogin('zhao');
    const [from, into] = [lone.session!.user.id, app.session!.user.id];
    expect(from).not.toBe(into);
    const foldedSession = await sessionIdOf(lone.session!.accessToken);
    const before = await mark();

    fake.bindOpenPlatform(LONE.appId);
    expect((await miniLogin('zhao')).session!.user.id).toBe(into);

    const events = await eventsSince(before);
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'user.merged', data: { fromUserId: from, intoUserId: into } },
        { type: 'sessions.revoked', data: { userId: from, sessionIds: [foldedSession] } },
      ]),
    );
    // Nobody's phone moved: neither had one.
    expect(events.filter((e) => e.type === 'phone.changed')).toEqual([]);
  });

  it("an admin resolving a conflict toward a user without a phone: user.merged, phone.changed, the other's sessions revoked", async () => {
    // X: the mini program's openid (no unionid yet) and Apple: no phone, yet not bare, so the late
    // unionid cannot fold X away.
    const x = (await miniLogin('sun', LONE2.appId)).session!;
    await linkApple('sun-apple', x.accessToken);
    // Y: a phone user who linked the same person's app account (the unionid holder).
    const phone = nextPhone('137');
    const y = await loginWithPhone(t, phone);
    await linkApp('sun', y.accessToken);
    fake.bindOpenPlatform(LONE2.appId);
    // The unionid arrives: both keep something, so a conflict is recorded and logins go to Y.
    expect((await miniLogin('sun', LONE2.appId)).session!.user.id).toBe(y.userId);
    const ySession = await sessionIdOf(y.accessToken);
    const conflicts = await t.gql<{ adminIdentityConflicts: { id: string; userIds: string[] }[] }>(
      '{ adminIdentityConflicts(resolved: false) { id userIds } }',
      undefined,
      bearer(admin),
    );
    const conflict = conflicts.body.data!.adminIdentityConflicts.find((c) => c.userIds.includes(x.user.id))!;
    const before = await mark();

    const resolved = await t.gql(
      'mutation R($id: ID!, $keep: ID!) { adminResolveIdentityConflict(id: $id, keepUserId: $keep) { id phone } }',
      { id: conflict.id, keep: x.user.id },
      bearer(admin),
    );
    expect(resolved.body.data).toEqual({ adminResolveIdentityConflict: { id: x.user.id, phone } });

    const events = await eventsSince(before);
    expect(events).toEqual([
      { type: 'sessions.revoked', data: { userId: y.userId, sessionIds: expect.arrayContaining([ySession]) } },
      { type: 'user.merged', data: { fromUserId: y.userId, intoUserId: x.user.id } },
      { type: 'phone.changed', data: { userId: x.user.id, phone } },
    ]);
    expect(errorCode(await t.gql('{ me { id } }', undefined, bearer(y.accessToken)))).toBe('UNAUTHENTICATED');
  });

  it('a refresh token used again revokes its session, and sessions.revoked says so', async () => {
    const user = await loginWithPhone(t, nextPhone('137'));
    const sessionId = await sessionIdOf(user.accessToken);
    expect((await t.gql(REFRESH, { t: user.refreshToken })).body.errors).toBeUndefined();
    // Past the grace period, the first token again: a thief or a bug; the whole session ends.
    t.app.get(Clock).advance(60);
    const before = await mark();
    expect(errorCode(await t.gql(REFRESH, { t: user.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await eventsSince(before)).toEqual([
      { type: 'sessions.revoked', data: { userId: user.userId, sessionIds: [sessionId] } },
    ]);
    // Once: the session is already revoked the next time.
    expect(errorCode(await t.gql(REFRESH, { t: user.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await eventsSince(before + 1)).toEqual([]);
  });

  it('a WeChat code replayed from another device ends the session it made, and sessions.revoked says so', async () => {
    const deviceId = 'd-replayed';
    const { code, state } = await appCode('li', deviceId);
    const input = { code, state, deviceId, platform: 'ANDROID', appId: APP.appId };
    const first = await t.gql<{ wechatLogin: Login }>(LOGIN, { input });
    const session = first.body.data!.wechatLogin.session!;
    const sessionId = await sessionIdOf(session.accessToken);
    const before = await mark();
    const replay = await t.gql(LOGIN, { input: { ...input, deviceId: 'd-thief' } });
    expect(errorCode(replay)).toBe('WECHAT_CODE_INVALID');
    expect(await eventsSince(before)).toEqual([
      { type: 'sessions.revoked', data: { userId: session.user.id, sessionIds: [sessionId] } },
    ]);
  });
});
