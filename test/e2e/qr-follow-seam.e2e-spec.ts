import { Database } from '../../src/database/database.service';
import { QrFollowService } from '../../src/qr-login/qr-follow.service';
import { bearer, errorCode, loginWithPhone, ME, nextPhone } from '../support/flows';
import { onApp, pollQr, SCAN_QR } from '../support/qr-login';
import { startTestApp, TestApp } from '../support/test-app';

// The QR store's side of follow login, called directly: the WeChat event handler (another module)
// calls completeFollow with the resolved person; the page polls qrLoginStatus as for any QR login.
describe('follow login seam: QrFollowService.startFollow / completeFollow', () => {
  let t: TestApp;
  let follow: QrFollowService;
  const APP = 'wxofficialaccount01';

  beforeAll(async () => {
    t = await startTestApp();
    follow = t.app.get(QrFollowService);
  });

  afterAll(async () => {
    await t.close();
  });

  const row = async (id: string) =>
    (
      (await t.app.get(Database).sql.rows('SELECT * FROM qr_logins WHERE id = ?', [id])) as Record<string, unknown>[]
    )[0];

  it('starts a PENDING follow login with a fresh URL-safe scene, stored only as a hash', async () => {
    const started = await follow.startFollow({ appId: APP, deviceId: 'desk-1', ip: '10.0.0.9', userAgent: 'UA' });
    const other = await follow.startFollow({ appId: APP });
    expect(started.scene).toMatch(/^[A-Za-z0-9_-]{1,60}$/);
    expect(other.scene).not.toEqual(started.scene);
    expect(started.expiresAt.getTime() - Date.now()).toBeGreaterThan(100_000);
    const stored = await row(started.id);
    expect(stored).toEqual(
      expect.objectContaining({
        kind: 'wechat_follow',
        app_id: APP,
        status: 'PENDING',
        device_id: 'desk-1',
        ip: '10.0.0.9',
      }),
    );
    expect(JSON.stringify(stored)).not.toContain(started.scene);
    expect(JSON.stringify(stored)).not.toContain(started.pollToken);
    expect((await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus.status).toBe('PENDING');
    // A scene is no QR content of the app flow.
    const user = await loginWithPhone(t, nextPhone());
    expect(errorCode(await onApp(t, SCAN_QR, started.scene, user.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(errorCode(await onApp(t, SCAN_QR, `wlqr:${started.scene}`, user.accessToken))).toBe('QR_LOGIN_INVALID');
  });

  it('a known person: completed once (a replayed event is "already"), the page gets a session once', async () => {
    const user = await loginWithPhone(t, nextPhone());
    const started = await follow.startFollow({ appId: APP, deviceId: 'desk-2' });
    const outcome = { userId: user.userId };
    expect(await follow.completeFollow({ appId: APP, scene: started.scene, outcome })).toBe('completed');
    expect(await follow.completeFollow({ appId: APP, scene: started.scene, outcome })).toBe('already');
    const first = (await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus;
    expect(first?.status).toBe('CONFIRMED');
    expect(first?.bindTicket).toBeNull();
    expect(first?.session?.user.id).toBe(user.userId);
    const me = await t.gql<{ me: { id: string } }>(ME, {}, bearer(first!.session!.accessToken));
    expect(me.body.data?.me.id).toBe(user.userId);
    expect((await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus).toEqual({
      status: 'CONFIRMED',
      bindTicket: null,
      session: null,
    });
    const sessions = await t.app
      .get(Database)
      .sql.rows('SELECT login_method FROM sessions WHERE user_id = ? AND device_id = ?', [user.userId, 'desk-2']);
    expect(sessions).toEqual([{ login_method: 'WECHAT' }]);
  });

  it('a new person: the bind ticket is kept encrypted and handed to the page once', async () => {
    const started = await follow.startFollow({ appId: APP });
    const bindTicket = 'bind-ticket-from-the-linking-path-0123456789';
    expect(await follow.completeFollow({ appId: APP, scene: started.scene, outcome: { bindTicket } })).toBe(
      'completed',
    );
    const sealed = await row(started.id);
    expect(sealed.bind_ticket_enc).toEqual(expect.any(String));
    expect(JSON.stringify(sealed)).not.toContain(bindTicket);
    expect((await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus).toEqual({
      status: 'CONFIRMED',
      bindTicket,
      session: null,
    });
    expect((await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus).toEqual({
      status: 'CONFIRMED',
      bindTicket: null,
      session: null,
    });
    expect((await row(started.id)).bind_ticket_enc).toBeNull();
  });

  it('racing events for one scene: exactly one completes', async () => {
    const started = await follow.startFollow({ appId: APP });
    const users = await Promise.all([1, 2, 3].map(() => loginWithPhone(t, nextPhone())));
    const results = await Promise.all(
      users.map((u) => follow.completeFollow({ appId: APP, scene: started.scene, outcome: { userId: u.userId } })),
    );
    expect(results.filter((r) => r === 'completed')).toHaveLength(1);
    expect(results.filter((r) => r === 'already')).toHaveLength(2);
    const winner = users[results.indexOf('completed')];
    expect((await row(started.id)).user_id).toBe(winner.userId);
  });

  it("an unknown scene, another app's scene, an expired one: nothing changes", async () => {
    const started = await follow.startFollow({ appId: APP });
    const outcome = { bindTicket: 'ticket' };
    expect(await follow.completeFollow({ appId: APP, scene: 'never-issued', outcome })).toBe('unknown');
    expect(await follow.completeFollow({ appId: 'wxanotherapp', scene: started.scene, outcome })).toBe('unknown');
    expect(await follow.completeFollow({ appId: APP, scene: 'x'.repeat(5000), outcome })).toBe('unknown');
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 121 });
    expect(await follow.completeFollow({ appId: APP, scene: started.scene, outcome })).toBe('expired');
    expect((await row(started.id)).status).toBe('PENDING');
    expect((await pollQr(t, started.id, started.pollToken)).body.data?.qrLoginStatus).toEqual({
      status: 'EXPIRED',
      bindTicket: null,
      session: null,
    });
  });
});
