import { Clock } from '../../src/common/clock';
import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { Database } from '../../src/database/database.service';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { WebhookEvents } from '../../src/webhooks/webhook-events';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { verifyReceipt, WebhookReceiver } from '../support/webhook-receiver';
import { loginAndBind, startWechatWorld, WechatWorld } from '../support/wechat';

const ADMIN_PHONE = '+8613900000077';
// Many logins from one test client, some to the same phone again (the clock moves a second between).
const MANY_CODES = {
  SMS_RESEND_SECONDS: '1',
  SMS_PHONE_PER_HOUR: '100',
  SMS_PHONE_PER_DAY: '100',
  SMS_IP_PER_MINUTE: '1000',
  SMS_DEVICE_PER_HOUR: '1000',
  SMS_DEVICE_PER_DAY: '1000',
};
const DELIVERIES = `query D($status: String) { adminWebhookDeliveries(first: 50, status: $status) {
  id type status attempts lastStatusCode nextAttemptAt createdAt } }`;
const REDELIVER = 'mutation R($id: ID!) { adminRedeliverWebhook(id: $id) { id status attempts } }';

interface Delivery {
  id: string;
  type: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

async function drain(t: TestApp): Promise<void> {
  const drainer = t.app.get(OutboxDrainer);
  while ((await drainer.runOnce()).claimed > 0);
}

async function outboxRows(t: TestApp): Promise<number> {
  const [row] = (await t.app.get(Database).dataSource.query('SELECT COUNT(*) AS n FROM outbox')) as { n: unknown }[];
  return Number(row.n);
}

describe('webhooks out (Standard Webhooks)', () => {
  const secret = newWebhookSecret();
  const receiver = new WebhookReceiver();
  let w: WechatWorld;
  let t: TestApp;
  let admin: string;

  const deliveries = async (status?: string) =>
    (await t.gql<{ adminWebhookDeliveries: Delivery[] }>(DELIVERIES, { status }, bearer(admin))).body.data!
      .adminWebhookDeliveries;

  beforeAll(async () => {
    const url = await receiver.listen();
    w = await startWechatWorld({
      WEBHOOK_URL: url,
      WEBHOOK_SECRET: secret,
      ADMIN_PHONES: ADMIN_PHONE,
      OUTBOX_RETRY_SCHEDULE: '2,5,10',
      ...MANY_CODES,
    });
    t = w.t;
    admin = (await loginWithPhone(t, ADMIN_PHONE)).accessToken;
    await drain(t);
  });

  afterAll(async () => {
    await w.close();
    await receiver.close();
  });

  // Whatever an earlier test left pending is delivered first: each test sees only its own deliveries.
  beforeEach(async () => {
    receiver.answer = () => 200;
    t.app.get(Clock).advance(60);
    await drain(t);
  });

  it('delivers each event type from its real trigger, signed so that the specification verifies it', async () => {
    const before = receiver.receipts.length;
    // user.created and identity.linked: a WeChat person's first login, bound to a new phone.
    const a = await loginAndBind(w, 'wh-person-a', nextPhone('137'));
    // sessions.revoked: the user ends this session.
    const mine = await t.gql<{ mySessions: { id: string; current: boolean }[] }>(
      '{ mySessions { id current } }',
      undefined,
      bearer(a.accessToken),
    );
    const sessionId = mine.body.data!.mySessions.find((s) => s.current)!.id;
    t.app.get(Clock).advance(1);
    const other = await loginWithPhone(t, (await phoneOf(t, a.userId))!, { deviceId: 'second' });
    expect((await t.gql('mutation { logout }', undefined, bearer(a.accessToken))).body.errors).toBeUndefined();
    // identity.unlinked: the user keeps their phone and drops WeChat.
    const unlinked = await t.gql(
      'mutation { unlinkIdentity(provider: WECHAT) { id } }',
      undefined,
      bearer(other.accessToken),
    );
    expect(unlinked.body.errors).toBeUndefined();
    // user.banned (and the sessions it ends): an admin bans B.
    const b = await loginWithPhone(t, nextPhone('137'));
    const banned = await t.gql(
      'mutation($id: ID!) { adminBanUser(id: $id, reason: "spam") { id } }',
      { id: b.userId },
      bearer(admin),
    );
    expect(banned.body.errors).toBeUndefined();
    // user.deleted: C erases their account.
    const c = await loginWithPhone(t, nextPhone('137'));
    t.app.get(Clock).advance(1);
    expect((await sendCode(t, c.phone, 'DELETE_ACCOUNT', bearer(c.accessToken))).body.errors).toBeUndefined();
    const deleted = await t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(t, c.phone) },
      bearer(c.accessToken),
    );
    expect(deleted.body).toEqual({ data: { deleteMyAccount: true } });

    await drain(t);
    const receipts = receiver.receipts.slice(before);
    for (const receipt of receipts)
      expect(verifyReceipt(secret, receipt)).toEqual({ library: true, independent: true });
    expect(new Set(receipts.map((r) => r.id)).size).toBe(receipts.length);
    const events = receiver
      .accepted()
      .slice(before)
      .map(({ type, data }) => ({ type, data }));
    const appId = SANDBOX_WECHAT_APP.appId;
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'user.created', data: { userId: a.userId } },
        { type: 'identity.linked', data: { userId: a.userId, provider: 'wechat', appId } },
        { type: 'sessions.revoked', data: { userId: a.userId, sessionIds: [sessionId] } },
        { type: 'identity.unlinked', data: { userId: a.userId, provider: 'wechat', appId } },
        { type: 'user.created', data: { userId: b.userId } },
        { type: 'user.banned', data: { userId: b.userId } },
        { type: 'sessions.revoked', data: { userId: b.userId, sessionIds: [expect.any(String)] } },
        { type: 'user.created', data: { userId: c.userId } },
        { type: 'user.deleted', data: { userId: c.userId } },
      ]),
    );
    // One user's events arrive in the order they happened.
    const ofA = events.filter((e) => e.data.userId === a.userId).map((e) => e.type);
    expect(ofA).toEqual(['user.created', 'identity.linked', 'sessions.revoked', 'identity.unlinked']);
    // Never a token, code or secret in a payload.
    const bodies = receipts.map((r) => r.body).join('\n');
    for (const value of [a.accessToken, a.refreshToken, other.accessToken, secret]) expect(bodies).not.toContain(value);
  });

  it('a returning login writes nothing to the outbox', async () => {
    const phone = nextPhone('137');
    await loginWithPhone(t, phone);
    const rows = await outboxRows(t);
    t.app.get(Clock).advance(1);
    await loginWithPhone(t, phone);
    expect(await outboxRows(t)).toBe(rows);
  });

  it('retries a delivery the receiver refused, with the same webhook-id and body, within 10 s', async () => {
    receiver.answer = (_receipt, tries) => (tries === 1 ? 500 : 200);
    const before = receiver.receipts.length;
    const user = await loginWithPhone(t, nextPhone('137'));
    await drain(t);
    const [first] = receiver.receipts.slice(before);
    expect(first.status).toBe(500);
    const [pending] = (await deliveries('pending')).filter((d) => d.id === first.id);
    expect(pending).toMatchObject({ attempts: 1, lastStatusCode: 500 });
    expect(Date.parse(pending.nextAttemptAt!) - Date.parse(pending.createdAt)).toBeLessThanOrEqual(10_000);
    t.app.get(Clock).advance(2);
    await drain(t);
    const again = receiver.receipts.slice(before);
    expect(again.map((r) => [r.id, r.status])).toEqual([
      [first.id, 500],
      [first.id, 200],
    ]);
    expect(again[1].body).toBe(first.body);
    expect(JSON.parse(again[1].body)).toMatchObject({ type: 'user.created', data: { userId: user.userId } });
    expect(verifyReceipt(secret, again[1])).toEqual({ library: true, independent: true });
  });

  it('gives up after the last try of the schedule, and an admin redelivers it under the same id', async () => {
    receiver.answer = () => 503;
    const before = receiver.receipts.length;
    await loginWithPhone(t, nextPhone('137'));
    await drain(t);
    const id = receiver.receipts[before].id;
    for (const seconds of [2, 5, 10]) {
      t.app.get(Clock).advance(seconds);
      await drain(t);
    }
    expect(receiver.receipts.slice(before).map((r) => [r.id, r.status])).toEqual(Array(4).fill([id, 503]));
    expect((await deliveries('failed')).find((d) => d.id === id)).toMatchObject({
      status: 'failed',
      attempts: 4,
      lastStatusCode: 503,
      nextAttemptAt: null,
    });
    // Nothing more is tried on its own.
    t.app.get(Clock).advance(3600);
    await drain(t);
    expect(receiver.receipts.length).toBe(before + 4);
    // The admin's access token ran out with that hour.
    admin = (await loginWithPhone(t, ADMIN_PHONE)).accessToken;

    receiver.answer = () => 204;
    const redelivered = await t.gql<{ adminRedeliverWebhook: Delivery }>(REDELIVER, { id }, bearer(admin));
    expect(redelivered.body.data!.adminRedeliverWebhook).toEqual({ id, status: 'pending', attempts: 0 });
    await drain(t);
    expect(receiver.receipts.at(-1)).toMatchObject({ id, status: 204 });
    expect((await deliveries('delivered')).find((d) => d.id === id)).toMatchObject({ status: 'delivered' });
  });

  it('never sends a delivery written in a transaction that rolled back', async () => {
    const rows = await outboxRows(t);
    const events = t.app.get(WebhookEvents);
    await expect(
      t.app.get(Database).transaction(async (manager) => {
        await events.emit(manager, 'user.deleted', { userId: 'rolled-back-user' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outboxRows(t)).toBe(rows);
    await drain(t);
    expect(receiver.receipts.map((r) => r.body).join('')).not.toContain('rolled-back-user');
  });

  it('is for admins only, and names a bad status', async () => {
    const user = await loginWithPhone(t, nextPhone('137'));
    expect(errorCode(await t.gql(DELIVERIES, {}, bearer(user.accessToken)))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(DELIVERIES, {}))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.gql(REDELIVER, { id: 'x' }, bearer(user.accessToken)))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(DELIVERIES, { status: 'lost' }, bearer(admin)))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(REDELIVER, { id: 'no-such-id' }, bearer(admin)))).toBe('BAD_USER_INPUT');
  });

  it('exposes the outbox in the metrics', async () => {
    const res = await t.http().get('/metrics');
    expect(res.text).toMatch(/^wechat_login_outbox_pending\{kind="webhook"\} 0$/m);
    expect(res.text).toMatch(/^wechat_login_outbox_deliveries_total\{kind="webhook",outcome="delivered"\} \d+/m);
    expect(res.text).toMatch(/^wechat_login_outbox_deliveries_total\{kind="webhook",outcome="failed"\} 1$/m);
    expect(res.text).toContain('# TYPE wechat_login_outbox_oldest_pending_age_seconds gauge');
  });
});

describe('webhooks without WEBHOOK_URL', () => {
  it('stores nothing and answers WEBHOOK_NOT_CONFIGURED', async () => {
    const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: ADMIN_PHONE } });
    try {
      const admin = await loginWithPhone(t, ADMIN_PHONE);
      await loginWithPhone(t, nextPhone('137'));
      expect(await outboxRows(t)).toBe(0);
      expect(errorCode(await t.gql(DELIVERIES, {}, bearer(admin.accessToken)))).toBe('WEBHOOK_NOT_CONFIGURED');
      expect(errorCode(await t.gql(REDELIVER, { id: 'x' }, bearer(admin.accessToken)))).toBe('WEBHOOK_NOT_CONFIGURED');
    } finally {
      await t.close();
    }
  });

  it("in the sandbox, delivers to the sandbox's own receiver, which verifies and keeps them", async () => {
    const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', WEBHOOK_SANDBOX_RECEIVER: 'true' } });
    try {
      // The receiver is this very app: the sender reaches it on its listening port.
      await t.app.listen(0, '127.0.0.1');
      const user = await loginWithPhone(t, nextPhone('137'));
      await drain(t);
      const res = await t.http().get('/sandbox/webhooks/received');
      expect(res.body).toEqual({
        deliveries: [
          {
            id: expect.any(String),
            type: 'user.created',
            data: { userId: user.userId },
            verified: true,
            at: expect.any(String),
          },
        ],
      });
      const forged = await t
        .http()
        .post('/sandbox/webhooks/receive')
        .set({
          'webhook-id': 'msg_forged',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': 'v1,AAAA',
        })
        .send({ type: 'user.deleted', data: { userId: user.userId } });
      expect(forged.status).toBe(400);
      const after = await t.http().get('/sandbox/webhooks/received');
      expect(after.body.deliveries[0]).toMatchObject({ id: 'msg_forged', verified: false });
    } finally {
      await t.close();
    }
  });
});

async function phoneOf(t: TestApp, userId: string): Promise<string | null> {
  const [row] = (await t.app.get(Database).dataSource.query('SELECT phone FROM users WHERE id = ?', [userId])) as {
    phone: string | null;
  }[];
  return row?.phone ?? null;
}
