import {
  auditActions,
  EVENT_ENV,
  identitiesOf,
  query,
  sessionsOf,
  userRow,
  webhooksOf,
} from '../support/account-events';
import { bearer, loginWithPhone, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wechat-events';

// Huawei Account Kit's user-information change events, produced and signed by the fake Huawei
// (x-notification-signature), POSTed to /providers/huawei/events; and what each does to the person.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: EVENT_ENV });
});

afterAll(async () => {
  await t.close();
});

interface HuaweiRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function huaweiEvent(person: string, type: string, phone?: string): Promise<HuaweiRequest> {
  const res = await t.http().post('/sandbox/huawei/event').send({ person, type, phone });
  expect(res.status).toBe(200);
  return res.body as HuaweiRequest;
}

const huaweiRows = () =>
  query<{ id: string; outcome: string | null }>(t, "SELECT id, outcome FROM provider_events WHERE provider = 'huawei'");

async function post(request: HuaweiRequest): Promise<number> {
  const res = await t.http().post(request.path).set(request.headers).send(request.body);
  return res.status;
}

async function deliverApplied(request: HuaweiRequest): Promise<void> {
  const before = new Set((await huaweiRows()).map((r) => r.id));
  expect(await post(request)).toBe(200);
  await eventually(async () => {
    const rows = (await huaweiRows()).filter((r) => !before.has(r.id));
    return rows.length === 1 && rows[0].outcome === 'applied';
  }, 'the event applied');
}

const HUAWEI = 'authorizationCode';

async function huaweiSignIn(person: string, accessToken?: string): Promise<{ userId: string }> {
  const { authorizationCode } = (await t.http().post('/sandbox/huawei/authorize').send({ person })).body as {
    authorizationCode: string;
  };
  const input = { [HUAWEI]: authorizationCode };
  if (accessToken) {
    const linked = await t.gql<{ linkHuawei: { id: string } }>(
      'mutation L($input: HuaweiLoginInput!) { linkHuawei(input: $input) { id } }',
      { input },
      bearer(accessToken),
    );
    expect(linked.body.errors).toBeUndefined();
    return { userId: linked.body.data!.linkHuawei.id };
  }
  const login = await t.gql<{ huaweiLogin: { session: { user: { id: string } } } }>(
    'mutation H($input: HuaweiLoginInput!) { huaweiLogin(input: $input) { session { user { id } } } }',
    { input },
  );
  expect(login.body.errors).toBeUndefined();
  return { userId: login.body.data!.huaweiLogin.session.user.id };
}

describe('authorization-cancelled', () => {
  it('unlinks Huawei and revokes its sessions; the user stays', async () => {
    const { userId } = await huaweiSignIn('hw-cancel');
    const [session] = (await sessionsOf(t, userId)).live;
    await deliverApplied(await huaweiEvent('hw-cancel', 'authorization-cancelled'));
    expect(await identitiesOf(t, userId)).toEqual([]);
    expect(await sessionsOf(t, userId)).toEqual({ live: [], revoked: [`${session}:huawei-withdrawn`] });
    expect(await userRow(t, userId)).toMatchObject({ status: 'active' });
    expect(await auditActions(t, userId)).toContain('huawei.consent_withdrawn');
    expect((await webhooksOf(t, userId)).map((w) => w.type)).toEqual(
      expect.arrayContaining(['identity.unlinked', 'sessions.revoked']),
    );
  });
});

describe('account-deleted', () => {
  it('deletes a Huawei-only account', async () => {
    const { userId } = await huaweiSignIn('hw-deleted');
    await deliverApplied(await huaweiEvent('hw-deleted', 'account-deleted'));
    expect(await userRow(t, userId)).toMatchObject({ status: 'deleted' });
    expect(await identitiesOf(t, userId)).toEqual([]);
    expect((await sessionsOf(t, userId)).live).toEqual([]);
    expect((await webhooksOf(t, userId)).map((w) => w.type)).toContain('user.deleted');
  });

  it('keeps a user with a phone, and their phone session', async () => {
    const phone = nextPhone('134');
    const user = await loginWithPhone(t, phone);
    await huaweiSignIn('hw-deleted-phone', user.accessToken);
    await deliverApplied(await huaweiEvent('hw-deleted-phone', 'account-deleted'));
    expect(await userRow(t, user.userId)).toMatchObject({ status: 'active', phone });
    expect(await identitiesOf(t, user.userId)).toEqual([]);
    expect((await sessionsOf(t, user.userId)).live).toHaveLength(1);
  });
});

describe('phone-changed', () => {
  it('moves the user to the new number when it is free', async () => {
    const phone = nextPhone('134');
    const user = await loginWithPhone(t, phone);
    await huaweiSignIn('hw-phone', user.accessToken);
    const next = nextPhone('134');
    await deliverApplied(await huaweiEvent('hw-phone', 'phone-changed', next));
    expect(await userRow(t, user.userId)).toMatchObject({ status: 'active', phone: next });
    expect(await webhooksOf(t, user.userId)).toContainEqual({
      type: 'phone.changed',
      data: { userId: user.userId, phone: next },
    });
    expect(await auditActions(t, user.userId)).toContain('huawei.phone_changed');
    expect((await sessionsOf(t, user.userId)).live).toHaveLength(1);
    expect(await identitiesOf(t, user.userId)).toHaveLength(1);
  });

  it('moves nothing when another user holds the number, and records the case for admins', async () => {
    const phone = nextPhone('134');
    const user = await loginWithPhone(t, phone);
    await huaweiSignIn('hw-phone-taken', user.accessToken);
    const takenPhone = nextPhone('134');
    const holder = await loginWithPhone(t, takenPhone);
    await deliverApplied(await huaweiEvent('hw-phone-taken', 'phone-changed', takenPhone));
    expect(await userRow(t, user.userId)).toMatchObject({ phone });
    expect(await userRow(t, holder.userId)).toMatchObject({ phone: takenPhone, status: 'active' });
    const [conflict] = await query<{ details: string }>(
      t,
      "SELECT details FROM audit_events WHERE action = 'phone.conflict' AND subject_user_id = ?",
      [user.userId],
    );
    expect(JSON.parse(conflict.details)).toMatchObject({ holderUserId: holder.userId, otherUserId: user.userId });
    expect(conflict.details).not.toContain(takenPhone);
    expect((await webhooksOf(t, user.userId)).map((w) => w.type)).not.toContain('phone.changed');
  });
});

describe('refused events change nothing', () => {
  it('tampered, unsigned, another client id, stale: 4xx, nothing stored, the person untouched', async () => {
    const { userId } = await huaweiSignIn('hw-refused');
    const before = (await huaweiRows()).length;
    const good = await huaweiEvent('hw-refused', 'account-deleted');
    const body = JSON.parse(good.body) as Record<string, unknown>;
    const withBody = (changes: Record<string, unknown>) => ({ ...good, body: JSON.stringify({ ...body, ...changes }) });
    expect(await post(withBody({ eventType: 'authorization-cancelled' }))).toBe(401);
    expect(await post({ ...good, headers: { 'content-type': 'application/json' } })).toBe(401);
    expect(await post(withBody({ clientId: '999999999' }))).toBe(403);
    await t.http().post('/sandbox/clock').send({ advanceSeconds: 301 }).expect(200);
    expect(await post(good)).toBe(403);
    expect((await huaweiRows()).length).toBe(before);
    expect(await userRow(t, userId)).toMatchObject({ status: 'active' });
    expect(await identitiesOf(t, userId)).toHaveLength(1);
  });

  it('the same event twice is applied once', async () => {
    const { userId } = await huaweiSignIn('hw-twice');
    const request = await huaweiEvent('hw-twice', 'authorization-cancelled');
    await deliverApplied(request);
    expect(await post(request)).toBe(200);
    expect((await auditActions(t, userId)).filter((a) => a === 'huawei.consent_withdrawn')).toHaveLength(1);
    expect((await huaweiRows()).length).toBeGreaterThan(0);
  });
});
