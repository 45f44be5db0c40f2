import { IDENTITY_REVOKE_KIND } from '../../src/identities/identity-revocations';
import {
  appleSignIn,
  auditActions,
  EVENT_ENV,
  identitiesOf,
  query,
  sessionsOf,
  userRow,
  webhooksOf,
} from '../support/account-events';
import { loginWithPhone, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wechat-events';

// Apple's server-to-server notifications, signed by the fake Apple with its identity-token keys, POSTed
// to /providers/apple/notifications; and what each does to the person.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: EVENT_ENV });
});

afterAll(async () => {
  await t.close();
});

async function notification(person: string, type: string, bundleId?: string): Promise<string> {
  const res = await t.http().post('/sandbox/apple/notification').send({ person, type, bundleId });
  expect(res.status).toBe(200);
  return (res.body as { payload: string }).payload;
}

const appleRows = () =>
  query<{ id: string; outcome: string | null }>(t, "SELECT id, outcome FROM provider_events WHERE provider = 'apple'");

async function post(payload: unknown): Promise<number> {
  return (await t.http().post('/providers/apple/notifications').send({ payload })).status;
}

/** Delivers and waits until applied. */
async function deliverApplied(payload: string): Promise<void> {
  const before = new Set((await appleRows()).map((r) => r.id));
  expect(await post(payload)).toBe(200);
  await eventually(async () => {
    const rows = (await appleRows()).filter((r) => !before.has(r.id));
    return rows.length === 1 && rows[0].outcome === 'applied';
  }, 'the notification applied');
}

async function revokeCalls(): Promise<number> {
  const res = await t.http().get('/sandbox/apple/calls?path=/auth/revoke');
  return (res.body as { calls: unknown[] }).calls.length;
}

const revocationRows = async () =>
  (await query(t, 'SELECT id FROM outbox WHERE kind = ?', [IDENTITY_REVOKE_KIND])).length;

describe('consent-revoked', () => {
  it('unlinks Apple and revokes its sessions; the user stays; nothing is sent to /auth/revoke', async () => {
    const apple = await appleSignIn(t, 'apn-consent');
    const [session] = (await sessionsOf(t, apple.userId)).live;
    const calls = await revokeCalls();
    const queued = await revocationRows();
    await deliverApplied(await notification('apn-consent', 'consent-revoked'));
    expect(await identitiesOf(t, apple.userId)).toEqual([]);
    expect(await sessionsOf(t, apple.userId)).toEqual({ live: [], revoked: [`${session}:apple-withdrawn`] });
    expect(await userRow(t, apple.userId)).toMatchObject({ status: 'active' });
    expect(await auditActions(t, apple.userId)).toContain('apple.consent_withdrawn');
    expect((await webhooksOf(t, apple.userId)).map((w) => w.type)).toEqual(
      expect.arrayContaining(['identity.unlinked', 'sessions.revoked']),
    );
    expect(await revocationRows()).toBe(queued);
    expect(await revokeCalls()).toBe(calls);
  });

  it('leaves a phone user their phone and their phone sessions', async () => {
    const phone = nextPhone('135');
    const user = await loginWithPhone(t, phone);
    await appleSignIn(t, 'apn-consent-phone', user.accessToken);
    await deliverApplied(await notification('apn-consent-phone', 'consent-revoked'));
    expect(await identitiesOf(t, user.userId)).toEqual([]);
    expect(await userRow(t, user.userId)).toMatchObject({ status: 'active', phone });
    expect((await sessionsOf(t, user.userId)).live).toHaveLength(1);
  });
});

describe('account-delete', () => {
  it('deletes an Apple-only account, without calling /auth/revoke', async () => {
    const apple = await appleSignIn(t, 'apn-delete');
    const calls = await revokeCalls();
    const queued = await revocationRows();
    await deliverApplied(await notification('apn-delete', 'account-delete'));
    expect(await userRow(t, apple.userId)).toMatchObject({ status: 'deleted' });
    expect(await identitiesOf(t, apple.userId)).toEqual([]);
    expect((await sessionsOf(t, apple.userId)).live).toEqual([]);
    expect(await auditActions(t, apple.userId)).toEqual(
      expect.arrayContaining(['apple.account_deleted', 'account.delete']),
    );
    expect((await webhooksOf(t, apple.userId)).map((w) => w.type)).toContain('user.deleted');
    expect(await revocationRows()).toBe(queued);
    expect(await revokeCalls()).toBe(calls);
  });

  it('keeps a user with a phone: only Apple goes', async () => {
    const phone = nextPhone('135');
    const user = await loginWithPhone(t, phone);
    await appleSignIn(t, 'apn-delete-phone', user.accessToken);
    await deliverApplied(await notification('apn-delete-phone', 'account-delete'));
    expect(await userRow(t, user.userId)).toMatchObject({ status: 'active', phone });
    expect(await identitiesOf(t, user.userId)).toEqual([]);
    expect((await sessionsOf(t, user.userId)).live).toHaveLength(1);
    expect((await webhooksOf(t, user.userId)).map((w) => w.type)).not.toContain('user.deleted');
  });
});

describe('email-disabled and email-enabled', () => {
  it('update the stored relay address and nothing else', async () => {
    const apple = await appleSignIn(t, 'apn-email');
    const emailOf = async () =>
      (await query<{ email: string | null }>(t, 'SELECT email FROM identities WHERE user_id = ?', [apple.userId]))[0]
        .email;
    const relay = await emailOf();
    expect(relay).toMatch(/@privaterelay\.appleid\.com$/);
    const hooksBefore = await webhooksOf(t, apple.userId);
    await deliverApplied(await notification('apn-email', 'email-disabled'));
    expect(await emailOf()).toBeNull();
    await deliverApplied(await notification('apn-email', 'email-enabled'));
    expect(await emailOf()).toBe(relay);
    expect((await sessionsOf(t, apple.userId)).live).toHaveLength(1);
    expect(await userRow(t, apple.userId)).toMatchObject({ status: 'active' });
    expect(await auditActions(t, apple.userId)).toEqual(
      expect.arrayContaining(['apple.email_disabled', 'apple.email_enabled']),
    );
    expect(await webhooksOf(t, apple.userId)).toEqual(hooksBefore);
  });
});

describe('refused notifications change nothing', () => {
  it('tampered, unsigned, wrong audience, no payload: 4xx, nothing stored, the person untouched', async () => {
    const apple = await appleSignIn(t, 'apn-refused');
    const before = (await appleRows()).length;
    const good = await notification('apn-refused', 'account-delete');
    const [header, body, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, jti: 'forged-jti' })).toString('base64url');
    expect(await post(`${header}.${forgedBody}.${signature}`)).toBe(401);
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(await post(`${none}.${body}.`)).toBe(401);
    expect(await post(await notification('apn-refused', 'account-delete', 'com.example.someone-else'))).toBe(401);
    expect(await post(undefined)).toBe(400);
    expect((await appleRows()).length).toBe(before);
    expect(await userRow(t, apple.userId)).toMatchObject({ status: 'active' });
    expect(await identitiesOf(t, apple.userId)).toHaveLength(1);
  });

  it('the same notification twice is applied once', async () => {
    const apple = await appleSignIn(t, 'apn-twice');
    const payload = await notification('apn-twice', 'consent-revoked');
    await deliverApplied(payload);
    expect(await post(payload)).toBe(200);
    expect((await auditActions(t, apple.userId)).filter((a) => a === 'apple.consent_withdrawn')).toHaveLength(1);
    expect((await webhooksOf(t, apple.userId)).filter((w) => w.type === 'identity.unlinked')).toHaveLength(1);
  });
});
