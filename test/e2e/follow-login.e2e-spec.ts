import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { openidFor } from '../../src/sandbox/fake-wechat/fake-wechat.http';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, latestCode, nextPhone } from '../support/flows';
import { pollQr, QrState } from '../support/qr-login';
import { startTestApp, TestApp } from '../support/test-app';
import { BIND_PHONE, loginAndBind, startWechatWorld, WechatWorld } from '../support/wechat';
import { deliver, eventRows, eventually, OFFICIAL, Pushed, sandboxPost } from '../support/wechat-events';

// Follow the official account to log in (issue 21), end to end through the sandbox's fake WeChat:
// the page starts it, the person scans WeChat's QR code (the fake pushes subscribe or SCAN, signed and
// encrypted as in safe mode), the receiver stores the event, the inbox applies it, and the page
// collects a session (or a bind ticket for a new person) with qrLoginStatus, once.

const START_FOLLOW = `mutation Follow($deviceId: String) {
  startWechatFollowLogin(deviceId: $deviceId) { id pollToken qrUrl expiresAt }
}`;

interface Started {
  id: string;
  pollToken: string;
  qrUrl: string;
  expiresAt: string;
  ticket: string;
}

let t: TestApp;

async function startFollow(app: TestApp = t): Promise<Started> {
  const res = await app.gql<{ startWechatFollowLogin: Omit<Started, 'ticket'> }>(START_FOLLOW, { deviceId: 'page-1' });
  const started = res.body.data?.startWechatFollowLogin;
  if (!started) throw new Error(`startWechatFollowLogin: ${JSON.stringify(res.body.errors)}`);
  const url = new URL(started.qrUrl);
  expect(url.origin + url.pathname).toBe('https://mp.weixin.qq.com/cgi-bin/showqrcode');
  return { ...started, ticket: url.searchParams.get('ticket')! };
}

/** The person scans WeChat's code on their phone: the push WeChat would send us. */
async function scan(ticket: string, person: string): Promise<Pushed & { appid: string }> {
  const res = await sandboxPost<Pushed & { appid: string }>(t, '/scan-follow', { ticket, person });
  if (res.status !== 200) throw new Error(`scan-follow: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls like the page until the status leaves PENDING; that answer is the one hand-out. */
async function settled(started: Started): Promise<QrState> {
  return eventually(async () => {
    const state = (await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus;
    return state && state.status !== 'PENDING' ? state : null;
  }, 'the follow login settled');
}

async function userInfoCalls(openid: string): Promise<number> {
  const res = await t.http().get('/sandbox/wechat/calls').query({ endpoint: 'user_info' });
  return (res.body.calls as { params?: Record<string, string> }[]).filter((c) => JSON.stringify(c).includes(openid))
    .length;
}

function world(app: TestApp): WechatWorld {
  return { t: app, fake: app.app.get(FakeWechatServer), fakeBase: '', close: () => app.close() };
}

beforeAll(async () => {
  t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_EVENTS_SWEEP_SECONDS: '0' } });
  // The in-process fake WeChat is called over real HTTP on the service's own port.
  await t.app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await t.close();
});

describe('follow the official account to log in', () => {
  it('a new person: the page gets a bind ticket once, and binding a phone makes the user', async () => {
    const started = await startFollow();
    const pushed = await scan(started.ticket, 'fl-new');
    expect(pushed.body).toContain('<Encrypt>');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);

    const first = await settled(started);
    expect(first).toEqual({ status: 'CONFIRMED', session: null, bindTicket: expect.any(String) });
    const again = (await pollQr(t, started.id, started.pollToken)).body.data!.qrLoginStatus;
    expect(again).toEqual({ status: 'CONFIRMED', session: null, bindTicket: null });

    const phone = nextPhone('135');
    const sent = await t.gql('mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
      input: { phone, purpose: 'BIND_PHONE', bindTicket: first.bindTicket },
    });
    expect(sent.body.errors).toBeUndefined();
    const bound = await t.gql<{ bindPhone: { accessToken: string; user: { id: string; wechatLinked: boolean } } }>(
      BIND_PHONE,
      { input: { bindTicket: first.bindTicket, phone, smsCode: latestCode(t, phone), deviceId: 'page-1' } },
    );
    expect(bound.body.errors).toBeUndefined();
    expect(bound.body.data!.bindPhone.user.wechatLinked).toBe(true);
    const identity = await t.app
      .get(Database)
      .sql.rows<{ user_id: string; channel: string }>(
        'SELECT user_id, channel FROM identities WHERE provider = ? AND app_id = ? AND subject = ?',
        ['wechat', OFFICIAL.appId, openidFor(OFFICIAL.appId, 'fl-new')],
      );
    expect(identity).toEqual([{ user_id: bound.body.data!.bindPhone.user.id, channel: 'official_account' }]);
  });

  it('a returning person (known from the app, same unionid) gets a session for the same user', async () => {
    const known = await loginAndBind(world(t), 'fl-returning', nextPhone('135'));
    const started = await startFollow();
    const pushed = await scan(started.ticket, 'fl-returning');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    const state = await settled(started);
    expect(state.status).toBe('CONFIRMED');
    expect(state.bindTicket).toBeNull();
    expect(state.session?.user.id).toBe(known.userId);
    const me = await t.gql<{ me: { id: string } }>('{ me { id } }', undefined, bearer(state.session!.accessToken));
    expect(me.body.data?.me.id).toBe(known.userId);
  });

  it('a person who already follows scans again (SCAN) and is logged in', async () => {
    const known = await loginAndBind(world(t), 'fl-follower', nextPhone('135'));
    const firstTime = await startFollow();
    await deliver(t, OFFICIAL.appId, await scan(firstTime.ticket, 'fl-follower'));
    expect((await settled(firstTime)).session?.user.id).toBe(known.userId);

    const started = await startFollow();
    const pushed = await scan(started.ticket, 'fl-follower');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    const state = await settled(started);
    expect(state.session?.user.id).toBe(known.userId);
    const openid = openidFor(OFFICIAL.appId, 'fl-follower');
    const kinds = (await eventRows(t, OFFICIAL.appId))
      .filter((row) => JSON.parse(row.payload).FromUserName === openid)
      .map((row) => row.event_type);
    expect(kinds).toEqual(['subscribe', 'SCAN']);
  });

  it('an expired code: WeChat refuses the scan and the page sees EXPIRED', async () => {
    const started = await startFollow();
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 121 }).expect(200);
    const res = await sandboxPost<{ error: string }>(t, '/scan-follow', { ticket: started.ticket, person: 'fl-late' });
    expect(res.status).toBe(400);
    const state = (await pollQr(t, started.id, started.pollToken)).body.data!.qrLoginStatus;
    expect(state).toEqual({ status: 'EXPIRED', session: null, bindTicket: null });
  });

  it('a replayed event is applied once: one row, one user/info call, one session', async () => {
    const known = await loginAndBind(world(t), 'fl-replay', nextPhone('135'));
    const openid = openidFor(OFFICIAL.appId, 'fl-replay');
    const started = await startFollow();
    const pushed = await scan(started.ticket, 'fl-replay');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    const state = await settled(started);
    expect(state.session?.user.id).toBe(known.userId);
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    const rows = (await eventRows(t, OFFICIAL.appId)).filter((row) => JSON.parse(row.payload).FromUserName === openid);
    expect(rows).toHaveLength(1);
    expect(await userInfoCalls(openid)).toBe(1);
    const later = (await pollQr(t, started.id, started.pollToken)).body.data!.qrLoginStatus;
    expect(later).toEqual({ status: 'CONFIRMED', session: null, bindTicket: null });
  });

  it('a banned person: the page sees CANCELLED and gets nothing', async () => {
    const known = await loginAndBind(world(t), 'fl-banned', nextPhone('135'));
    await t.app.get(Database).sql.run("UPDATE users SET status = 'banned' WHERE id = ?", [known.userId]);
    const started = await startFollow();
    await deliver(t, OFFICIAL.appId, await scan(started.ticket, 'fl-banned'));
    expect(await settled(started)).toEqual({ status: 'CANCELLED', session: null, bindTicket: null });
  });

  it('the poll token is needed: the id alone, or another token, is QR_LOGIN_INVALID', async () => {
    const started = await startFollow();
    const wrong = await pollQr(t, started.id, started.ticket);
    expect(errorCode(wrong)).toBe('QR_LOGIN_INVALID');
  });
});

describe('follow login without a verified service account', () => {
  it('is not offered: PROVIDER_NOT_CONFIGURED, and nothing is written', async () => {
    const w = await startWechatWorld();
    try {
      const res = await w.t.gql(START_FOLLOW, { deviceId: 'page-1' });
      expect(errorCode(res)).toBe('PROVIDER_NOT_CONFIGURED');
      const rows = await w.t.app.get(Database).sql.rows<{ n: number | string }>('SELECT COUNT(*) AS n FROM qr_logins');
      expect(Number(rows[0].n)).toBe(0);
    } finally {
      await w.close();
    }
  });
});
