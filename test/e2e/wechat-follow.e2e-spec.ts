import { createHash } from 'node:crypto';
import { DomainError } from '../../src/errors/domain-error';
import { WechatFollowerResolver } from '../../src/connectors/wechat/wechat-follower.resolver';
import { Database } from '../../src/database/database.service';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { openidFor } from '../../src/sandbox/fake-wechat/fake-wechat.http';
import { WechatEventReceiver } from '../../src/wechat/events/wechat-event-receiver.service';
import { WechatFollowService } from '../../src/wechat/wechat-follow.service';
import { nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAndBind, WechatWorld } from '../support/wechat';
import { deliver, eventRows, eventually, OFFICIAL, Pushed, sandboxPost } from '../support/wechat-events';

// Follow login's building blocks against the sandbox's fake WeChat: parametric QR codes, the scan
// events they produce (through the receiver and the inbox), user/info, and the follower resolver.

let t: TestApp;

const digest = (scene: string): string => createHash('sha256').update(scene).digest('hex').slice(0, 12);
const scanLogs = (app: TestApp, scene: string): string[] => app.logs.filter((l) => l.includes(`#${digest(scene)}`));

async function scan(app: TestApp, ticket: string, person: string): Promise<Pushed & { appid: string }> {
  const res = await sandboxPost<Pushed & { appid: string }>(app, '/scan-follow', { ticket, person });
  if (res.status !== 200) throw new Error(`scan-follow: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function world(app: TestApp): WechatWorld {
  return { t: app, fake: app.app.get(FakeWechatServer), fakeBase: '', close: () => app.close() };
}

/** The in-process fake WeChat is called over real HTTP on the service's own port: it must listen. */
async function listening(app: Promise<TestApp>): Promise<TestApp> {
  const started = await app;
  await started.app.listen(0, '127.0.0.1');
  return started;
}

beforeAll(async () => {
  t = await listening(startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_EVENTS_SWEEP_SECONDS: '0' } }));
});

afterAll(async () => {
  await t.close();
});

describe('parametric QR codes and user/info through the fake WeChat', () => {
  it('creates a QR_STR_SCENE code with the official account token', async () => {
    const code = await t.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, 'scene-create', 120);
    expect(code).toEqual({
      ticket: expect.any(String),
      expiresIn: 120,
      qrUrl: `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`,
    });
    const calls = await t.http().get('/sandbox/wechat/calls').query({ endpoint: 'qrcode_create' });
    expect(calls.body.calls.at(-1)).toMatchObject({ appid: OFFICIAL.appId, result: 'ok' });
    expect(t.app.get(WechatFollowService).followAppId()).toBe(OFFICIAL.appId);
  });

  it('answers as WeChat for a bad token and for an account that is not a verified service account', async () => {
    const bad = await t.http().post('/sandbox/wechat/cgi-bin/qrcode/create?access_token=forged').send({});
    expect(bad.body).toMatchObject({ errcode: 40001 });
    const token = await t.http().post('/sandbox/wechat/cgi-bin/stable_token').send({
      grant_type: 'client_credential',
      appid: 'wxsandboxmini0001',
      secret: 'sandboxappsecret0000000000000002',
    });
    const mini = await t
      .http()
      .post(`/sandbox/wechat/cgi-bin/qrcode/create?access_token=${token.body.access_token}`)
      .send({ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'x' } } });
    expect(mini.body).toMatchObject({ errcode: 48001 });
    await expect(t.app.get(WechatFollowService).createQrCode('wxsandboxmini0001', 'x', 60)).rejects.toMatchObject({
      code: 'WECHAT_CONFIG_ERROR',
    });
  });

  it('scan-follow pushes subscribe the first time and SCAN the next, and the receiver takes both', async () => {
    const follow = t.app.get(WechatFollowService);
    const openid = openidFor(OFFICIAL.appId, 'follower-a');
    const scene = 'scene-follow-a';
    const { ticket } = await follow.createQrCode(OFFICIAL.appId, scene, 120);
    const first = await scan(t, ticket, 'follower-a');
    expect(first.appid).toBe(OFFICIAL.appId);
    expect(await follow.followerInfo(OFFICIAL.appId, openid)).toMatchObject({ subscribed: true, openid });
    expect((await deliver(t, OFFICIAL.appId, first)).status).toBe(200);
    const second = await scan(t, ticket, 'follower-a');
    expect((await deliver(t, OFFICIAL.appId, second)).status).toBe(200);
    const rows = await eventually(async () => {
      const mine = (await eventRows(t, OFFICIAL.appId)).filter((r) => JSON.parse(r.payload).FromUserName === openid);
      return mine.length === 2 && mine.every((r) => r.applied_at) ? mine : null;
    }, 'both scans applied');
    expect(rows.map((r) => [r.event_type, JSON.parse(r.payload).EventKey, r.outcome])).toEqual([
      ['subscribe', `qrscene_${scene}`, 'applied'],
      ['SCAN', scene, 'applied'],
    ]);
    // The default FollowScanListener saw each scan once, with the scene stripped of qrscene_ (logged hashed).
    expect(scanLogs(t, scene)).toHaveLength(2);
    expect(t.logs.some((l) => l.includes(scene))).toBe(false);
  });

  it('an expired ticket is an error the caller sees, and nothing is pushed', async () => {
    const { ticket } = await t.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, 'scene-expired', 60);
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 61 }).expect(200);
    const res = await sandboxPost<{ error: string }>(t, '/scan-follow', { ticket, person: 'follower-late' });
    expect(res).toEqual({ status: 400, body: { error: 'ticket expired' } });
  });
});

describe('resolveFollower', () => {
  it('a returning person is the same user; a new person gets a bind ticket; a banned user is refused', async () => {
    const resolver = t.app.get(WechatFollowerResolver);
    // Logged in before through the native app (same Open Platform account: same unionid).
    const known = await loginAndBind(world(t), 'follower-known', nextPhone('136'));
    const { ticket } = await t.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, 'scene-known', 120);
    await scan(t, ticket, 'follower-known');
    const before = await count('users');
    expect(await resolver.resolveFollower(OFFICIAL.appId, openidFor(OFFICIAL.appId, 'follower-known'))).toEqual({
      userId: known.userId,
    });
    expect(await resolver.resolveFollower(OFFICIAL.appId, openidFor(OFFICIAL.appId, 'follower-known'))).toEqual({
      userId: known.userId,
    });

    await scan(
      t,
      (await t.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, 'scene-new', 120)).ticket,
      'follower-new',
    );
    const fresh = await resolver.resolveFollower(OFFICIAL.appId, openidFor(OFFICIAL.appId, 'follower-new'));
    expect(fresh).toEqual({ bindTicket: { ticket: expect.any(String), expiresAt: expect.any(Date) } });
    expect(await count('users')).toBe(before);
    expect(await count('sessions', 'user_id = ?', [known.userId])).toBe(1);

    await t.app.get(Database).dataSource.query("UPDATE users SET status = 'banned' WHERE id = ?", [known.userId]);
    const banned = resolver.resolveFollower(OFFICIAL.appId, openidFor(OFFICIAL.appId, 'follower-known'));
    await expect(banned).rejects.toBeInstanceOf(DomainError);
    await expect(banned).rejects.toMatchObject({ code: 'USER_BANNED' });
  });

  it('with REQUIRE_PHONE=false a new person becomes a user at once, and no session is made', async () => {
    const other = await listening(startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', REQUIRE_PHONE: 'false' } }));
    try {
      const { ticket } = await other.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, 'scene-nophone', 120);
      await scan(other, ticket, 'follower-nophone');
      const outcome = await other.app
        .get(WechatFollowerResolver)
        .resolveFollower(OFFICIAL.appId, openidFor(OFFICIAL.appId, 'follower-nophone'));
      expect(outcome).toEqual({ userId: expect.any(String) });
      const db = other.app.get(Database).dataSource;
      const [user] = (await db.query('SELECT phone, status FROM users WHERE id = ?', [
        (outcome as { userId: string }).userId,
      ])) as {
        phone: string | null;
        status: string;
      }[];
      expect(user).toEqual({ phone: null, status: 'active' });
      expect(await db.query('SELECT id FROM sessions')).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('an event stored just before a crash', () => {
  it('is applied by the next instance on the same database', async () => {
    const first = await listening(
      startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_EVENTS_SWEEP_SECONDS: '0' } }),
    );
    const scene = 'scene-crash';
    const { ticket } = await first.app.get(WechatFollowService).createQrCode(OFFICIAL.appId, scene, 120);
    const pushed = await scan(first, ticket, 'follower-crash');
    // Stored the way the receiver stores it, and the process gone before applying it (no answer hook ran).
    const { stored } = await first.app
      .get(WechatEventReceiver)
      .receive(OFFICIAL.appId, Object.fromEntries(new URLSearchParams(pushed.query)), pushed.body, null);
    expect(stored).toBe(true);
    await first.close(true);
    const second = await startTestApp({
      env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_EVENTS_SWEEP_SECONDS: '5' },
      reuse: { database: first.database, dataDir: first.dataDir },
    });
    try {
      const [row] = await eventually(async () => {
        const rows = await eventRows(second, OFFICIAL.appId);
        return rows.length === 1 && rows[0].applied_at ? rows : null;
      }, 'the stored event applied after the restart');
      expect(row).toMatchObject({ event_type: 'subscribe', outcome: 'applied', attempts: 1 });
      expect(scanLogs(second, scene)).toHaveLength(1);
      expect(scanLogs(first, scene)).toHaveLength(0);
    } finally {
      await second.close();
    }
  });
});

async function count(table: string, where = '1 = 1', params: unknown[] = []): Promise<number> {
  const [row] = (await t.app
    .get(Database)
    .dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params)) as {
    n: number;
  }[];
  return Number(row.n);
}
