import {
  appleSignIn,
  auditActions,
  EVENT_ENV,
  identitiesOf,
  miniProgramSignIn,
  query,
  sessionsOf,
  userRow,
  webhooksOf,
} from '../support/account-events';
import { startTestApp, TestApp } from '../support/test-app';
import { deliver, eventRows, eventually, MINI, pushedEvent, Pushed } from '../support/wechat-events';

// WeChat's authorization-change events, pushed by the fake WeChat (signed by its own code) to the mini
// program's message server, and what each does to the person: identities, sessions, the account.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: EVENT_ENV });
});

afterAll(async () => {
  await t.close();
});

/** Delivers the push and waits until the inbox applied it. */
async function deliverApplied(pushed: Pushed): Promise<void> {
  const before = new Set((await eventRows(t, MINI.appId)).map((r) => r.id));
  expect(await deliver(t, MINI.appId, pushed)).toEqual({ status: 200, text: 'success' });
  await eventually(async () => {
    const rows = (await eventRows(t, MINI.appId)).filter((r) => !before.has(r.id));
    return rows.length === 1 && rows[0].outcome === 'applied';
  }, 'the event applied');
}

describe('user_authorization_revoke', () => {
  it('unlinks the mini program identity and revokes its WeChat sessions; the user and their Apple stay', async () => {
    const person = 'evt-revoke';
    const mini = await miniProgramSignIn(t, MINI.appId, person);
    const apple = await appleSignIn(t, `${person}-apple`, mini.accessToken);
    expect(apple.userId).toBe(mini.userId);
    const [wechatSession] = (await sessionsOf(t, mini.userId)).live;

    await deliverApplied(await pushedEvent(t, MINI.appId, person, 'user_authorization_revoke'));

    expect(await identitiesOf(t, mini.userId)).toEqual([{ provider: 'apple', app_id: expect.any(String) }]);
    expect(await sessionsOf(t, mini.userId)).toEqual({ live: [], revoked: [`${wechatSession}:wechat-withdrawn`] });
    expect(await userRow(t, mini.userId)).toMatchObject({ status: 'active' });
    expect(await auditActions(t, mini.userId)).toContain('wechat.consent_withdrawn');
    expect(await webhooksOf(t, mini.userId)).toEqual(
      expect.arrayContaining([
        { type: 'identity.unlinked', data: { userId: mini.userId, provider: 'wechat', appId: MINI.appId } },
        { type: 'sessions.revoked', data: { userId: mini.userId, sessionIds: [wechatSession] } },
      ]),
    );
    const me = await t.gql('{ me { id } }', {}, { authorization: `Bearer ${mini.accessToken}` });
    expect(me.body.errors?.[0]?.extensions?.code).toBeDefined();
  });

  it('unlinks even the only identity of a user without a phone; the user remains', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-revoke-only');
    await deliverApplied(await pushedEvent(t, MINI.appId, 'evt-revoke-only', 'user_authorization_revoke'));
    expect(await identitiesOf(t, mini.userId)).toEqual([]);
    expect(await userRow(t, mini.userId)).toMatchObject({ status: 'active' });
    expect((await sessionsOf(t, mini.userId)).live).toEqual([]);
  });

  it('the same push delivered twice is applied once', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-revoke-twice');
    const pushed = await pushedEvent(t, MINI.appId, 'evt-revoke-twice', 'user_authorization_revoke');
    await deliverApplied(pushed);
    expect(await deliver(t, MINI.appId, pushed)).toEqual({ status: 200, text: 'success' });
    const actions = await auditActions(t, mini.userId);
    expect(actions.filter((a) => a === 'wechat.consent_withdrawn')).toHaveLength(1);
    expect((await webhooksOf(t, mini.userId)).filter((w) => w.type === 'identity.unlinked')).toHaveLength(1);
  });

  it('a tampered push is refused and changes nothing', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-revoke-tampered');
    const pushed = await pushedEvent(t, MINI.appId, 'evt-revoke-tampered', 'user_authorization_revoke');
    const before = (await eventRows(t)).length;
    // Plaintext mode signs the query only (token, timestamp, nonce): a forged signature is the tampering here.
    const forged = {
      ...pushed,
      query: pushed.query.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`),
    };
    expect((await deliver(t, MINI.appId, forged)).status).toBe(401);
    const unsigned = { ...pushed, query: pushed.query.replace(/signature=[^&]+&?/, '') };
    expect((await deliver(t, MINI.appId, unsigned)).status).toBe(401);
    expect((await eventRows(t)).length).toBe(before);
    expect(await identitiesOf(t, mini.userId)).toEqual([{ provider: 'wechat', app_id: MINI.appId }]);
    expect((await sessionsOf(t, mini.userId)).live).toHaveLength(1);
  });
});

describe('user_authorization_cancellation', () => {
  it('deletes the account of a user left with no way in, as deleteMyAccount would', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-cancel-only');
    await deliverApplied(await pushedEvent(t, MINI.appId, 'evt-cancel-only', 'user_authorization_cancellation'));
    expect(await identitiesOf(t, mini.userId)).toEqual([]);
    expect(await userRow(t, mini.userId)).toMatchObject({ status: 'deleted', phone: null });
    expect((await sessionsOf(t, mini.userId)).live).toEqual([]);
    expect(await auditActions(t, mini.userId)).toEqual(
      expect.arrayContaining(['wechat.account_deleted', 'account.delete']),
    );
    expect((await webhooksOf(t, mini.userId)).map((w) => w.type)).toEqual(
      expect.arrayContaining(['identity.unlinked', 'sessions.revoked', 'user.deleted']),
    );
    // The same person starts afresh: a new user.
    const again = await miniProgramSignIn(t, MINI.appId, 'evt-cancel-only');
    expect(again.userId).not.toBe(mini.userId);
  });

  it('keeps a user who still has another way in (Apple): only the WeChat identity and its sessions go', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-cancel-apple');
    await appleSignIn(t, 'evt-cancel-apple-a', mini.accessToken);
    await deliverApplied(await pushedEvent(t, MINI.appId, 'evt-cancel-apple', 'user_authorization_cancellation'));
    expect(await identitiesOf(t, mini.userId)).toEqual([{ provider: 'apple', app_id: expect.any(String) }]);
    expect(await userRow(t, mini.userId)).toMatchObject({ status: 'active' });
    expect((await sessionsOf(t, mini.userId)).live).toEqual([]);
    expect((await webhooksOf(t, mini.userId)).map((w) => w.type)).not.toContain('user.deleted');
  });
});

describe('user_info_modified', () => {
  it('marks the stored profile stale and changes nothing else', async () => {
    const mini = await miniProgramSignIn(t, MINI.appId, 'evt-profile');
    await query(t, 'UPDATE identities SET profile_updated_at = created_at WHERE user_id = ?', [mini.userId]);
    const hooksBefore = await webhooksOf(t, mini.userId);
    await deliverApplied(await pushedEvent(t, MINI.appId, 'evt-profile', 'user_info_modified'));
    const [identity] = await query<{ profile_updated_at: unknown }>(
      t,
      'SELECT profile_updated_at FROM identities WHERE user_id = ?',
      [mini.userId],
    );
    expect(identity.profile_updated_at).toBeNull();
    expect(await identitiesOf(t, mini.userId)).toEqual([{ provider: 'wechat', app_id: MINI.appId }]);
    expect((await sessionsOf(t, mini.userId)).live).toHaveLength(1);
    expect(await userRow(t, mini.userId)).toMatchObject({ status: 'active' });
    expect(await auditActions(t, mini.userId)).toContain('wechat.profile_stale');
    expect(await webhooksOf(t, mini.userId)).toEqual(hooksBefore);
  });
});
