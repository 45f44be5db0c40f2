import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Database } from '../../src/database/database.service';
import { IDENTITY_REVOKE_KIND } from '../../src/identities/identity-revocations';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { bearer, latestCode, loginWithPhone, nextPhone, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Apple's /auth/revoke at unlink and deletion goes through the outbox (no WEBHOOK_URL here): written in
// the removal's transaction, sent by the drainer, tried again on the outbox schedule while Apple is down.

const LINK_APPLE = `mutation L($input: AppleLoginInput!) { linkApple(input: $input) { id } }`;

let t: TestApp;
let base: string;

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function drain(): Promise<void> {
  const drainer = t.app.get(OutboxDrainer);
  while ((await drainer.runOnce()).claimed > 0);
}

const advance = (seconds: number) => call('POST', '/sandbox/clock', { advanceSeconds: seconds });

async function revokedSubs(): Promise<string[]> {
  const { revocations } = await call<{ revocations: { sub: string }[] }>('GET', '/sandbox/apple/revocations');
  return revocations.map((r) => r.sub);
}

async function revokeCalls(): Promise<number> {
  return (await call<{ calls: unknown[] }>('GET', '/sandbox/apple/calls?path=/auth/revoke')).calls.length;
}

interface OutboxRowSeen {
  kind: string;
  type: string;
  status: string;
  attempts: number;
  payload: string;
}

async function revocationRows(): Promise<OutboxRowSeen[]> {
  const rows = (await t.app
    .get(Database)
    .dataSource.query('SELECT kind, type, status, attempts, payload FROM outbox WHERE kind = ? ORDER BY id', [
      IDENTITY_REVOKE_KIND,
    ])) as OutboxRowSeen[];
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** A phone user who links Apple; the identity row as stored (its encrypted refresh token). */
async function phoneUserWithApple(person: string) {
  const user = await loginWithPhone(t, nextPhone('136'));
  const rawNonce = `nonce-${person}`;
  const approved = await call<{ identityToken: string; authorizationCode: string; sub: string }>(
    'POST',
    '/sandbox/apple/authorize',
    { person, nonce: createHash('sha256').update(rawNonce).digest('hex') },
  );
  const linked = await t.gql(
    LINK_APPLE,
    {
      input: { identityToken: approved.identityToken, authorizationCode: approved.authorizationCode, nonce: rawNonce },
    },
    bearer(user.accessToken),
  );
  expect(linked.body.errors).toBeUndefined();
  const [identity] = (await t.app
    .get(Database)
    .dataSource.query("SELECT id, secret_enc FROM identities WHERE user_id = ? AND provider = 'apple'", [
      user.userId,
    ])) as { id: string; secret_enc: string }[];
  return { ...user, sub: approved.sub, identity };
}

beforeAll(async () => {
  t = await startTestApp({
    env: {
      SMS_CONSOLE_LOG_CODES: 'false',
      PROVIDER_TIMEOUT_MS: '15000',
      PROVIDER_BUDGET_MS: '30000',
      OUTBOX_RETRY_SCHEDULE: '2,5,10',
    },
  });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t.close();
});

afterEach(async () => {
  await call('DELETE', '/sandbox/apple/faults');
});

describe("Apple's /auth/revoke through the outbox", () => {
  it('Apple down at unlink: the unlink succeeds, the revocation is tried again and goes through once Apple is back', async () => {
    const user = await phoneUserWithApple('revoke-while-down');
    // Apple answers 503 to every revocation until it is back.
    await call('POST', '/sandbox/apple/faults', { endpoint: 'revoke', httpStatus: 503, times: 100 });
    const unlinked = await t.gql(
      'mutation { unlinkIdentity(provider: APPLE) { id } }',
      undefined,
      bearer(user.accessToken),
    );
    expect(unlinked.body.errors).toBeUndefined();
    // Nothing is sent in the request: the message waits in the outbox, with the secret as stored.
    expect(await revokedSubs()).not.toContain(user.sub);
    const [written] = await revocationRows();
    expect(written).toMatchObject({ type: 'apple', status: 'pending', attempts: 0 });
    expect(JSON.parse(written.payload)).toEqual({
      id: user.identity.id,
      provider: 'apple',
      appId: 'com.example.sandbox',
      secretEnc: user.identity.secret_enc,
      secretKeyId: expect.any(String),
    });

    await drain();
    expect(await revokeCalls()).toBeGreaterThan(0);
    expect(await revokedSubs()).not.toContain(user.sub);
    expect(await revocationRows()).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })]);

    // Apple is back; the next try (2 s later on the schedule) revokes the token, once.
    await call('DELETE', '/sandbox/apple/faults');
    await call('DELETE', '/sandbox/apple/calls');
    await drain();
    expect(await revokeCalls()).toBe(0); // not due yet
    await advance(2);
    await drain();
    expect(await revokeCalls()).toBe(1);
    expect((await revokedSubs()).filter((sub) => sub === user.sub)).toHaveLength(1);
    expect(await revocationRows()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })]);
    await advance(3600);
    await drain();
    expect(await revokeCalls()).toBe(1);
  });

  it('account deletion revokes through the outbox too, retried while Apple fails', async () => {
    const user = await phoneUserWithApple('revoke-at-deletion');
    await advance(61);
    expect((await sendCode(t, user.phone, 'DELETE_ACCOUNT', bearer(user.accessToken))).body.errors).toBeUndefined();
    await call('POST', '/sandbox/apple/faults', { endpoint: 'revoke', httpStatus: 500, times: 100 });
    const deleted = await t.gql(
      'mutation D($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(t, user.phone) },
      bearer(user.accessToken),
    );
    expect(deleted.body.data).toEqual({ deleteMyAccount: true });
    await drain();
    expect(await revokedSubs()).not.toContain(user.sub);
    await call('DELETE', '/sandbox/apple/faults');
    await advance(2);
    await drain();
    expect((await revokedSubs()).filter((sub) => sub === user.sub)).toHaveLength(1);
    expect((await revocationRows()).at(-1)).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});
