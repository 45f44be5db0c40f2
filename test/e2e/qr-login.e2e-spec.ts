import { Database } from '../../src/database/database.service';
import { bearer, errorCode, LoggedIn, loginWithPhone, ME, nextPhone } from '../support/flows';
import { CANCEL_QR, CONFIRM_QR, onApp, pollQr, QR_STATUS, SCAN_QR, startQr, StartedQr } from '../support/qr-login';
import { startTestApp, TestApp } from '../support/test-app';

const PAGE = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) QrTestPage/1.0' };

describe('QR login with your own app', () => {
  let t: TestApp;
  let alice: LoggedIn;
  let bob: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await loginWithPhone(t, nextPhone());
    bob = await loginWithPhone(t, nextPhone());
  });

  afterAll(async () => {
    await t.close();
  });

  const row = async (id: string) =>
    (
      (await t.app.get(Database).sql.rows('SELECT * FROM qr_logins WHERE id = ?', [id])) as Record<string, unknown>[]
    )[0];
  const auditActions = async (userId: string) =>
    (
      (await t.app
        .get(Database)
        .sql.rows('SELECT action FROM audit_events WHERE actor_user_id = ? ORDER BY created_at, id', [userId])) as {
        action: string;
      }[]
    ).map((r) => r.action);
  const status = async (qr: StartedQr) => (await pollQr(t, qr.id, qr.pollToken)).body.data?.qrLoginStatus;

  it('the whole flow: scan shows who asks, confirm, the first poll gets a session for the app user, later polls none', async () => {
    const qr = await startQr(t, PAGE);
    expect(qr.qrContent).toMatch(/^wlqr:[A-Za-z0-9_-]{43}$/);
    expect(qr.pollToken).not.toEqual(qr.qrContent);
    expect(new Date(qr.expiresAt).getTime() - Date.now()).toBeGreaterThan(100_000);
    expect(await status(qr)).toEqual({ status: 'PENDING', bindTicket: null, session: null });

    const scanned = await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    expect(scanned.body.errors).toBeUndefined();
    expect(scanned.body.data?.scanQrLogin).toEqual({
      ip: '127.0.0.1',
      userAgent: PAGE['user-agent'],
      createdAt: expect.any(String),
    });
    expect((await status(qr))?.status).toBe('SCANNED');

    const confirmed = await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken);
    expect(confirmed.body).toEqual({ data: { confirmQrLogin: true } });

    const first = await status(qr);
    expect(first?.status).toBe('CONFIRMED');
    expect(first?.session?.user.id).toBe(alice.userId);
    const me = await t.gql<{ me: { id: string } }>(ME, {}, bearer(first!.session!.accessToken));
    expect(me.body.data?.me.id).toBe(alice.userId);

    expect(await status(qr)).toEqual({ status: 'CONFIRMED', bindTicket: null, session: null });
    expect(await status(qr)).toEqual({ status: 'CONFIRMED', bindTicket: null, session: null });

    // Only hashes of the secrets are stored; the page's device and the app's login method are kept.
    const stored = await row(qr.id);
    expect(JSON.stringify(stored)).not.toContain(qr.qrContent);
    expect(JSON.stringify(stored)).not.toContain(qr.pollToken);
    expect(stored).toEqual(
      expect.objectContaining({
        status: 'CONFIRMED',
        scanned_by: alice.userId,
        user_id: alice.userId,
        device_id: 'page-1',
      }),
    );
    expect(stored.collected_at).not.toBeNull();
    const sessions = (await t.app
      .get(Database)
      .sql.rows('SELECT login_method, device_id, platform FROM sessions WHERE user_id = ? AND device_id = ?', [
        alice.userId,
        'page-1',
      ])) as Record<string, unknown>[];
    expect(sessions).toEqual([{ login_method: 'PHONE', device_id: 'page-1', platform: 'WEB' }]);
    expect(await auditActions(alice.userId)).toEqual(
      expect.arrayContaining(['qr_login.scan', 'qr_login.confirm', 'qr_login.collect']),
    );
  });

  it('the same user scanning or confirming twice gets the same answer; the page still gets one session', async () => {
    const qr = await startQr(t);
    const once = await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    const twice = await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    expect(twice.body.data).toEqual(once.body.data);
    expect((await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken)).body.data).toEqual({ confirmQrLogin: true });
    expect((await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken)).body.data).toEqual({ confirmQrLogin: true });
    const polls = await Promise.all([1, 2, 3, 4].map(() => status(qr)));
    expect(polls.filter((p) => p?.session !== null)).toHaveLength(1);
  });

  it('cancel: the scanner says no, the page sees CANCELLED, and nobody can confirm it any more', async () => {
    const qr = await startQr(t);
    await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    // Only the user who scanned it may cancel.
    expect(errorCode(await onApp(t, CANCEL_QR, qr.qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    expect((await onApp(t, CANCEL_QR, qr.qrContent, alice.accessToken)).body.data).toEqual({ cancelQrLogin: true });
    expect(await status(qr)).toEqual({ status: 'CANCELLED', bindTicket: null, session: null });
    expect(errorCode(await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(errorCode(await onApp(t, SCAN_QR, qr.qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(await status(qr)).toEqual({ status: 'CANCELLED', bindTicket: null, session: null });
    expect(await auditActions(alice.userId)).toContain('qr_login.cancel');
  });

  it('expiry on the sandbox clock: EXPIRED to the page, QR_LOGIN_INVALID to the app', async () => {
    const pending = await startQr(t);
    const scanned = await startQr(t);
    await onApp(t, SCAN_QR, scanned.qrContent, alice.accessToken);
    const res = await t.http().post('/sandbox/clock').send({ advanceSeconds: 121 });
    expect(res.status).toBeLessThan(300);
    expect(await status(pending)).toEqual({ status: 'EXPIRED', bindTicket: null, session: null });
    expect(await status(scanned)).toEqual({ status: 'EXPIRED', bindTicket: null, session: null });
    expect(errorCode(await onApp(t, SCAN_QR, pending.qrContent, alice.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(errorCode(await onApp(t, CONFIRM_QR, scanned.qrContent, alice.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(await status(scanned)).toEqual({ status: 'EXPIRED', bindTicket: null, session: null });
    expect((await row(scanned.id)).status).toBe('SCANNED');
  });

  it('polling with qrContent instead of pollToken, or with an unknown id, is QR_LOGIN_INVALID and changes nothing', async () => {
    const qr = await startQr(t);
    await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken);
    for (const [id, pollToken] of [
      [qr.id, qr.qrContent],
      [qr.id, qr.qrContent.slice('wlqr:'.length)],
      [qr.id, ''],
      [qr.id, 'x'.repeat(5000)],
      ['00000000-0000-7000-8000-000000000000', qr.pollToken],
      [qr.qrContent, qr.pollToken],
    ]) {
      const res = await t.gql(QR_STATUS, { id, pollToken });
      expect({ id: id.length, code: errorCode(res), data: res.body.data }).toEqual({
        id: id.length,
        code: 'QR_LOGIN_INVALID',
        data: null,
      });
    }
    expect((await row(qr.id)).collected_at).toBeNull();
    expect((await status(qr))?.session?.user.id).toBe(alice.userId);
  });

  it("another user cannot scan or confirm what the first user scanned; the first user's confirm still works", async () => {
    const qr = await startQr(t);
    await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    expect(errorCode(await onApp(t, SCAN_QR, qr.qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(errorCode(await onApp(t, CONFIRM_QR, qr.qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    expect(await status(qr)).toEqual({ status: 'SCANNED', bindTicket: null, session: null });
    expect((await row(qr.id)).scanned_by).toBe(alice.userId);
    // Confirming without scanning first is refused too.
    const unscanned = await startQr(t);
    expect(errorCode(await onApp(t, CONFIRM_QR, unscanned.qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    expect((await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken)).body.data).toEqual({ confirmQrLogin: true });
    expect((await status(qr))?.session?.user.id).toBe(alice.userId);
  });

  it('a banned user cannot confirm, and a user banned after confirming gets no session', async () => {
    const carol = await loginWithPhone(t, nextPhone());
    const dave = await loginWithPhone(t, nextPhone());
    const ban = (userId: string) =>
      t.app.get(Database).dataSource.query("UPDATE users SET status = 'banned' WHERE id = ?", [userId]);

    const first = await startQr(t);
    await onApp(t, SCAN_QR, first.qrContent, carol.accessToken);
    await ban(carol.userId);
    expect(errorCode(await onApp(t, CONFIRM_QR, first.qrContent, carol.accessToken))).toBe('USER_BANNED');
    expect(await status(first)).toEqual({ status: 'SCANNED', bindTicket: null, session: null });

    const second = await startQr(t);
    await onApp(t, SCAN_QR, second.qrContent, dave.accessToken);
    await onApp(t, CONFIRM_QR, second.qrContent, dave.accessToken);
    await ban(dave.userId);
    const polled = await pollQr(t, second.id, second.pollToken);
    expect(errorCode(polled)).toBe('USER_BANNED');
    expect(polled.body.data).toBeNull();
    expect((await row(second.id)).collected_at).toBeNull();
    const sessions = await t.app
      .get(Database)
      .sql.rows('SELECT id FROM sessions WHERE user_id = ? AND device_id = ?', [dave.userId, 'page-1']);
    expect(sessions).toEqual([]);
  });

  it('the QR content alone yields nothing: not to an anonymous caller, not as an id or a poll token', async () => {
    const qr = await startQr(t);
    expect(errorCode(await t.gql(SCAN_QR, { qrContent: qr.qrContent }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.gql(CONFIRM_QR, { qrContent: qr.qrContent }))).toBe('UNAUTHENTICATED');
    await onApp(t, SCAN_QR, qr.qrContent, alice.accessToken);
    await onApp(t, CONFIRM_QR, qr.qrContent, alice.accessToken);
    expect(errorCode(await t.gql(QR_STATUS, { id: qr.qrContent, pollToken: qr.qrContent }))).toBe('QR_LOGIN_INVALID');
    // Made-up or foreign codes are refused alike.
    for (const qrContent of ['wlqr:made-up', 'https://example.com/', 'x'.repeat(5000)]) {
      expect(errorCode(await onApp(t, SCAN_QR, qrContent, bob.accessToken))).toBe('QR_LOGIN_INVALID');
    }
    expect((await row(qr.id)).collected_at).toBeNull();
  });
});

describe('QR login across two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    // The same configuration (database, signing keys): a second instance behind the same load balancer.
    b = await startTestApp({ override: (c) => ({ ...a.config, dataDir: c.dataDir }) });
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('started on one instance, scanned and confirmed through the second, collected on the first', async () => {
    const user = await loginWithPhone(b, nextPhone());
    const qr = await startQr(a, PAGE);
    expect((await onApp(b, SCAN_QR, qr.qrContent, user.accessToken)).body.data?.scanQrLogin).toEqual(
      expect.objectContaining({ userAgent: PAGE['user-agent'] }),
    );
    expect((await pollQr(a, qr.id, qr.pollToken)).body.data?.qrLoginStatus.status).toBe('SCANNED');
    expect((await onApp(b, CONFIRM_QR, qr.qrContent, user.accessToken)).body.data).toEqual({ confirmQrLogin: true });
    const collected = (await pollQr(a, qr.id, qr.pollToken)).body.data?.qrLoginStatus;
    expect(collected?.session?.user.id).toBe(user.userId);
    // The other instance sees it handed out.
    expect((await pollQr(b, qr.id, qr.pollToken)).body.data?.qrLoginStatus).toEqual({
      status: 'CONFIRMED',
      bindTicket: null,
      session: null,
    });
    const me = await b.gql<{ me: { id: string } }>(ME, {}, bearer(collected!.session!.accessToken));
    expect(me.body.data?.me.id).toBe(user.userId);
  });
});
