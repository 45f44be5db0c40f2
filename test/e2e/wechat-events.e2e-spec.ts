import { ProviderEvent, ProviderEventError } from '../../src/provider-events/provider-event';
import { ProviderEventHandlers } from '../../src/provider-events/provider-event-handlers';
import { ProviderEventInbox } from '../../src/provider-events/provider-event-inbox.service';
import { startTestApp, TestApp } from '../support/test-app';
import {
  deliver,
  eventRows,
  eventually,
  MINI,
  nowSeconds,
  OFFICIAL,
  pushedEvent,
  seal,
  sign,
} from '../support/wechat-events';

// WeChat's message server (/providers/wechat/events/:appId) against the sandbox's fake WeChat, which
// signs (and for the official account, encrypts) its pushes with its own code; and the inbox behind it.
// The sweeper runs only when a test asks (PROVIDER_EVENTS_SWEEP_SECONDS=0), except after the "crash".

let t: TestApp;
// CLICK events are ignored by the service; here they reach a handler the tests control.
const clicks: ProviderEvent[] = [];
const failuresLeft = new Map<string, number>();
let unregister: () => void;

beforeAll(async () => {
  t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_EVENTS_SWEEP_SECONDS: '0' } });
  unregister = t.app.get(ProviderEventHandlers).register('wechat', 'CLICK', async (event) => {
    clicks.push(event);
    const key = String(event.payload.EventKey);
    const left = failuresLeft.get(key) ?? 0;
    if (left > 0) {
      failuresLeft.set(key, left - 1);
      throw new ProviderEventError('TEST_HANDLER_FAILED');
    }
  });
});

afterAll(async () => {
  unregister();
  await t.close();
});

const clicksOf = (key: string): ProviderEvent[] => clicks.filter((e) => e.payload.EventKey === key);

describe('the URL handshake', () => {
  it('answers echostr when the signature is over our token, and refuses anything else', async () => {
    const timestamp = nowSeconds(t);
    const nonce = '184532';
    const ok = await t
      .http()
      .get(`/providers/wechat/events/${OFFICIAL.appId}`)
      .query({ signature: sign(OFFICIAL.token, timestamp, nonce), timestamp, nonce, echostr: 'echo-4711' });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('echo-4711');

    const forged = await t
      .http()
      .get(`/providers/wechat/events/${OFFICIAL.appId}`)
      .query({ signature: sign('not-the-token', timestamp, nonce), timestamp, nonce, echostr: 'echo-4711' });
    expect(forged.status).toBe(401);
    expect(forged.text).not.toContain('echo-4711');

    const unsigned = await t.http().get(`/providers/wechat/events/${OFFICIAL.appId}`).query({ echostr: 'x' });
    expect(unsigned.status).toBe(401);

    const stale = String(Number(timestamp) - 301);
    const old = await t
      .http()
      .get(`/providers/wechat/events/${OFFICIAL.appId}`)
      .query({ signature: sign(OFFICIAL.token, stale, nonce), timestamp: stale, nonce, echostr: 'x' });
    expect(old.status).toBe(403);

    // An app without a message server (the native app) has no receiver.
    const none = await t
      .http()
      .get('/providers/wechat/events/wxsandbox00000001')
      .query({ signature: sign(OFFICIAL.token, timestamp, nonce), timestamp, nonce, echostr: 'x' });
    expect(none.status).toBe(404);
  });
});

describe('pushed events', () => {
  it('a plaintext push (mini program) is stored, answered success, and applied', async () => {
    const pushed = await pushedEvent(t, MINI.appId, 'ev-plain', 'user_info_modified');
    expect(pushed.query).not.toContain('encrypt_type');
    const answer = await deliver(t, MINI.appId, pushed);
    expect(answer).toEqual({ status: 200, text: 'success' });
    const [row] = await eventually(async () => {
      const rows = await eventRows(t, MINI.appId);
      return rows.length === 1 && rows[0].applied_at ? rows : null;
    }, 'the plaintext event applied');
    expect(row.event_type).toBe('user_info_modified');
    expect(JSON.parse(row.payload)).toMatchObject({ MsgType: 'event', Event: 'user_info_modified', AppID: MINI.appId });
  });

  it('a safe-mode push (official account) is decrypted, stored, and an event type nobody handles is ignored', async () => {
    const pushed = await pushedEvent(t, OFFICIAL.appId, 'ev-safe', 'VIEW', 'https://example.com/menu');
    expect(pushed.query).toContain('encrypt_type=aes');
    expect(pushed.body).toContain('<Encrypt>');
    expect(pushed.body).not.toContain('VIEW');
    expect(await deliver(t, OFFICIAL.appId, pushed)).toEqual({ status: 200, text: 'success' });
    const row = await eventually(async () => {
      const rows = (await eventRows(t, OFFICIAL.appId)).filter((r) => r.event_type === 'VIEW');
      return rows[0]?.applied_at ? rows[0] : null;
    }, 'the VIEW event marked');
    expect(row.outcome).toBe('ignored');
    expect(JSON.parse(row.payload)).toMatchObject({ Event: 'VIEW', EventKey: 'https://example.com/menu' });
  });

  it('the same push twice is one row, applied once', async () => {
    const pushed = await pushedEvent(t, OFFICIAL.appId, 'ev-twice', 'CLICK', 'TWICE');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    expect(await deliver(t, OFFICIAL.appId, pushed)).toEqual({ status: 200, text: 'success' });
    await eventually(async () => clicksOf('TWICE').length === 1, 'the CLICK applied');
    // WeChat's third try, after the event was applied.
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    expect(await t.app.get(ProviderEventInbox).sweepOnce()).toEqual([]);
    const rows = (await eventRows(t, OFFICIAL.appId)).filter((r) => JSON.parse(r.payload).EventKey === 'TWICE');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'applied', attempts: 1 });
    expect(clicksOf('TWICE')).toHaveLength(1);
  });

  it('a handler that fails is retried by the sweeper after its backoff, until it succeeds', async () => {
    failuresLeft.set('RETRY', 1);
    const pushed = await pushedEvent(t, OFFICIAL.appId, 'ev-retry', 'CLICK', 'RETRY');
    expect((await deliver(t, OFFICIAL.appId, pushed)).status).toBe(200);
    const failed = await eventually(async () => {
      const row = (await eventRows(t, OFFICIAL.appId)).find((r) => JSON.parse(r.payload).EventKey === 'RETRY');
      return row?.last_error_code ? row : null;
    }, 'the first attempt failed');
    expect(failed).toMatchObject({ applied_at: null, attempts: 1, last_error_code: 'TEST_HANDLER_FAILED' });
    const inbox = t.app.get(ProviderEventInbox);
    // Not due yet: the first retry waits 5 s (on the sandbox clock).
    expect(await inbox.sweepOnce()).toEqual([]);
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 6 }).expect(200);
    expect(await inbox.sweepOnce()).toEqual(['applied']);
    const row = (await eventRows(t, OFFICIAL.appId)).find((r) => r.id === failed.id)!;
    expect(row).toMatchObject({ outcome: 'applied', attempts: 2, last_error_code: null });
    expect(clicksOf('RETRY')).toHaveLength(2);
  });
});

describe('refused pushes store nothing', () => {
  async function refused(appId: string, query: string, body: string): Promise<number> {
    const before = (await eventRows(t)).length;
    const res = await deliver(t, appId, { query, body });
    expect((await eventRows(t)).length).toBe(before);
    return res.status;
  }

  it('a tampered ciphertext, a tampered plaintext, a bad signature, and no signature at all', async () => {
    const safe = await pushedEvent(t, OFFICIAL.appId, 'ev-tamper', 'CLICK', 'TAMPER');
    const flipped = safe.body.replace(
      /<Encrypt><!\[CDATA\[(.)/,
      (_m, c: string) => `<Encrypt><![CDATA[${c === 'A' ? 'B' : 'A'}`,
    );
    expect(flipped).not.toBe(safe.body);
    expect(await refused(OFFICIAL.appId, safe.query, flipped)).toBe(401);

    const plain = await pushedEvent(t, MINI.appId, 'ev-tamper', 'user_authorization_revoke');
    const other = plain.body.replace('user_authorization_revoke', 'user_authorization_cancellation');
    // Plaintext mode signs only the query: a changed body is caught only in safe mode. A changed query is caught.
    const badQuery = plain.query.replace(
      /signature=([0-9a-f])/,
      (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`,
    );
    expect(await refused(MINI.appId, badQuery, plain.body)).toBe(401);
    expect(await refused(MINI.appId, '', other)).toBe(401);
    // A plaintext push to an app in safe mode, even signed right, is not WeChat's.
    const timestamp = nowSeconds(t);
    const query = new URLSearchParams({ signature: sign(OFFICIAL.token, timestamp, '1'), timestamp, nonce: '1' });
    expect(await refused(OFFICIAL.appId, query.toString(), plain.body)).toBe(401);
    expect(await refused(OFFICIAL.appId, safe.query, 'not xml')).toBe(400);
  });

  it('a ciphertext sealed for another AppID, though signed with our token, is refused', async () => {
    const timestamp = nowSeconds(t);
    const nonce = '99';
    const xml =
      '<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oForeign]]></FromUserName>' +
      `<CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event></xml>`;
    const sealed = (appId: string) => seal(OFFICIAL.key, xml, appId);
    const query = (encrypt: string) =>
      new URLSearchParams({
        signature: sign(OFFICIAL.token, timestamp, nonce),
        timestamp,
        nonce,
        encrypt_type: 'aes',
        msg_signature: sign(OFFICIAL.token, timestamp, nonce, encrypt),
      }).toString();
    const body = (encrypt: string) =>
      `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    const foreign = sealed('wxsomeoneelse0001');
    expect(await refused(OFFICIAL.appId, query(foreign), body(foreign))).toBe(403);
    // The test's sealing is right: the same for our AppID is accepted.
    const ours = sealed(OFFICIAL.appId);
    expect((await deliver(t, OFFICIAL.appId, { query: query(ours), body: body(ours) })).status).toBe(200);
  });

  it('a signed push delivered more than five minutes late is stale', async () => {
    const pushed = await pushedEvent(t, OFFICIAL.appId, 'ev-stale', 'CLICK', 'STALE');
    // Signed now; delivered (a replay) 301 s later on the sandbox clock.
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 301 }).expect(200);
    expect(await refused(OFFICIAL.appId, pushed.query, pushed.body)).toBe(403);
    expect(clicksOf('STALE')).toHaveLength(0);
  });
});
