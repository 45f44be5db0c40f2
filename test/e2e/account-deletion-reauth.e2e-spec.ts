import { Clock } from '../../src/common/clock';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { CodeExchangesService } from '../../src/connectors/code-exchanges.service';
import { Database } from '../../src/database/database.service';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone, sendCode } from '../support/flows';
import { approve, baseOf, postJson, PROVIDERS, Provider } from '../support/provider-proofs';
import { startTestApp, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

// deleteMyAccount(smsCode | reauth) through GraphQL against the sandbox's in-process fakes (real HTTP
// on the service's own port, real signatures). REQUIRE_PHONE=false: people who signed in with a
// provider only, and have no phone to confirm with.

const SESSION = 'session { accessToken user { id } }';
const LOGINS: Record<string, string> = {
  WECHAT: `mutation W($input: WechatLoginInput!) { r: wechatLogin(input: $input) { ${SESSION} } }`,
  APPLE: `mutation A($input: AppleLoginInput!) { r: appleLogin(input: $input) { ${SESSION} } }`,
  HUAWEI: `mutation H($input: HuaweiLoginInput!) { r: huaweiLogin(input: $input) { ${SESSION} } }`,
  QQ: `mutation Q($input: QqLoginInput!) { r: qqLogin(input: $input) { ${SESSION} } }`,
  ALIPAY: `mutation P($input: AlipayLoginInput!) { r: alipayLogin(input: $input) { ${SESSION} } }`,
};
const LINK_APPLE = 'mutation L($input: AppleLoginInput!) { linkApple(input: $input) { id } }';
const DELETE =
  'mutation D($smsCode: String, $reauth: ReauthInput) { deleteMyAccount(smsCode: $smsCode, reauth: $reauth) }';

interface Person {
  userId: string;
  accessToken: string;
}

let t: TestApp;
const receiver = new WebhookReceiver();

async function login(provider: Provider, person: string): Promise<Person> {
  const input = await approve(t, provider, person);
  const extra = provider === 'WECHAT' ? { deviceId: `device-${person}` } : {};
  const res = await t.gql<{ r: { session: { accessToken: string; user: { id: string } } } }>(LOGINS[provider], {
    input: { ...input, ...extra },
  });
  const session = res.body.data?.r.session;
  if (!session) throw new Error(`${provider} login: ${JSON.stringify(res.body.errors)}`);
  return { userId: session.user.id, accessToken: session.accessToken };
}

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.app.get(Database).dataSource.query(sql, params)) as T[];
}

/** What the database holds of a user: its status, identities, live sessions. */
async function footprint(userId: string): Promise<{ status: string; identities: number; liveSessions: number }> {
  const [user] = await query<{ status: string }>('SELECT status FROM users WHERE id = ?', [userId]);
  const [ids] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [userId]);
  const [live] = await query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL',
    [userId],
  );
  return { status: user.status, identities: Number(ids.n), liveSessions: Number(live.n) };
}

async function drain(): Promise<void> {
  const drainer = t.app.get(OutboxDrainer);
  while ((await drainer.runOnce()).claimed > 0);
}

beforeAll(async () => {
  const url = await receiver.listen();
  t = await startTestApp({
    env: {
      REQUIRE_PHONE: 'false',
      SMS_CONSOLE_LOG_CODES: 'false',
      WEBHOOK_URL: url,
      WEBHOOK_SECRET: newWebhookSecret(),
      PROVIDER_TIMEOUT_MS: '15000',
      PROVIDER_BUDGET_MS: '30000',
      WECHAT_TIMEOUT_MS: '15000',
      WECHAT_BUDGET_MS: '30000',
    },
  });
  await t.app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await t.close();
  await receiver.close();
});

describe('deleteMyAccount with a fresh proof (reauth)', () => {
  it.each(PROVIDERS)(
    'a %s-only user without a phone deletes the account; the same person then starts afresh',
    async (provider) => {
      const person = `leaver-${provider.toLowerCase()}`;
      const user = await login(provider, person);
      expect(await footprint(user.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
      const [identity] = await query<{ id: string }>('SELECT id FROM identities WHERE user_id = ?', [user.userId]);
      const grants = async () =>
        Number(
          (
            await query<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_grants WHERE identity_id = ?', [identity.id])
          )[0].n,
        );
      expect(await grants()).toBe(provider === 'WECHAT' ? 1 : 0);

      const proof = await approve(t, provider, person, user.accessToken);
      const res = await t.gql(DELETE, { reauth: { provider, ...proof } }, bearer(user.accessToken));
      expect(res.body).toEqual({ data: { deleteMyAccount: true } });

      expect(await footprint(user.userId)).toEqual({ status: 'deleted', identities: 0, liveSessions: 0 });
      expect(await grants()).toBe(0);
      const audit = await query<{ details: string }>(
        "SELECT details FROM audit_events WHERE action = 'account.delete' AND subject_user_id = ?",
        [user.userId],
      );
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0].details)).toMatchObject({ reason: `reauth:${provider.toLowerCase()}` });
      // The old session is over.
      expect(errorCode(await t.gql('{ me { id } }', {}, bearer(user.accessToken)))).toBe('UNAUTHENTICATED');

      const again = await login(provider, person);
      expect(again.userId).not.toBe(user.userId);
      expect(await footprint(again.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
    },
  );

  it('cascades through the outbox: a user.deleted webhook, and Apple’s refresh token revoked', async () => {
    const person = 'leaver-cascade';
    const user = await login('APPLE', person);
    await drain();
    const proof = await approve(t, 'APPLE', person, user.accessToken);
    const res = await t.gql(DELETE, { reauth: { provider: 'APPLE', ...proof } }, bearer(user.accessToken));
    expect(res.body.errors).toBeUndefined();

    // Everything pending now was written by the deletion (the outbox was drained before it).
    const pending = await query<{ kind: string; type: string }>(
      "SELECT kind, type FROM outbox WHERE status = 'pending'",
    );
    expect(pending.filter((r) => r.kind === 'identity.revoke')).toHaveLength(1);
    expect(pending).toContainEqual({ kind: 'webhook', type: 'user.deleted' });

    await drain();
    expect(receiver.accepted().filter((e) => e.type === 'user.deleted' && e.data.userId === user.userId)).toHaveLength(
      1,
    );
    const { revocations } = (await (await fetch(`${baseOf(t)}/sandbox/apple/revocations`)).json()) as {
      revocations: { sub: string }[];
    };
    const [identityRow] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [
      user.userId,
    ]);
    expect(Number(identityRow.n)).toBe(0);
    expect(revocations.length).toBeGreaterThan(0);
    const sub = (await postJson<{ sub: string }>(t, '/sandbox/apple/authorize', { person })).sub;
    expect(revocations.map((r) => r.sub)).toContain(sub);
  });

  it('someone else’s proof answers REAUTH_PROOF_INVALID and deletes nobody', async () => {
    const ann = await login('HUAWEI', 'reauth-ann');
    const bob = await login('HUAWEI', 'reauth-bob');
    const bobsProof = await approve(t, 'HUAWEI', 'reauth-bob');
    const res = await t.gql(DELETE, { reauth: { provider: 'HUAWEI', ...bobsProof } }, bearer(ann.accessToken));
    expect(errorCode(res)).toBe('REAUTH_PROOF_INVALID');
    expect(res.body.data).toBeNull();
    expect(await footprint(ann.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
    expect(await footprint(bob.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
    const [code] = await query<{ status: string; error_code: string }>(
      'SELECT status, error_code FROM code_exchanges WHERE code_hash = ?',
      [t.app.get(CodeExchangesService).hash(bobsProof.authorizationCode)],
    );
    expect(code).toEqual({ status: 'failed', error_code: 'REAUTH_PROOF_INVALID' });
    // Spent: not even its own person can use it now.
    const again = await t.gql(DELETE, { reauth: { provider: 'HUAWEI', ...bobsProof } }, bearer(bob.accessToken));
    expect(errorCode(again)).toBe('REAUTH_PROOF_INVALID');
    expect(await footprint(bob.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
  });

  it('a proof of a provider not linked to the caller answers REAUTH_PROOF_INVALID', async () => {
    const cat = await login('QQ', 'reauth-cat');
    const proof = await approve(t, 'ALIPAY', 'reauth-cat');
    const res = await t.gql(DELETE, { reauth: { provider: 'ALIPAY', ...proof } }, bearer(cat.accessToken));
    expect(errorCode(res)).toBe('REAUTH_PROOF_INVALID');
    expect(await footprint(cat.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
  });

  it('a proof is single use and bound to its caller: the login’s own code, or a WeChat state of another user or device, deletes nothing', async () => {
    const proof = await approve(t, 'APPLE', 'reauth-dan');
    const res = await t.gql<{ r: { session: { accessToken: string; user: { id: string } } } }>(LOGINS.APPLE, {
      input: proof,
    });
    const dan = res.body.data!.r.session;
    const replay = await t.gql(DELETE, { reauth: { provider: 'APPLE', ...proof } }, bearer(dan.accessToken));
    expect(errorCode(replay)).toBe('REAUTH_PROOF_INVALID');
    expect(await footprint(dan.user.id)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });

    // A WeChat state issued to another user cannot carry this user's reauthentication either.
    const eve = await login('WECHAT', 'reauth-eve');
    const foreign = await approve(t, 'WECHAT', 'reauth-eve', dan.accessToken);
    const crossed = await t.gql(DELETE, { reauth: { provider: 'WECHAT', ...foreign } }, bearer(eve.accessToken));
    expect(errorCode(crossed)).toBe('REAUTH_PROOF_INVALID');
    // Nor one started by this user on another device than their session's.
    const elsewhere = await approve(t, 'WECHAT', 'reauth-eve', eve.accessToken, 'another-device');
    const moved = await t.gql(DELETE, { reauth: { provider: 'WECHAT', ...elsewhere } }, bearer(eve.accessToken));
    expect(errorCode(moved)).toBe('REAUTH_PROOF_INVALID');
    expect(await footprint(eve.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
  });

  it('exactly one of smsCode and reauth; a user without a phone cannot confirm by SMS', async () => {
    const fay = await login('ALIPAY', 'reauth-fay');
    const proof = await approve(t, 'ALIPAY', 'reauth-fay');
    const both = await t.gql(
      DELETE,
      { smsCode: '123456', reauth: { provider: 'ALIPAY', ...proof } },
      bearer(fay.accessToken),
    );
    expect(errorCode(both)).toBe('BAD_USER_INPUT');
    const neither = await t.gql(DELETE, {}, bearer(fay.accessToken));
    expect(errorCode(neither)).toBe('BAD_USER_INPUT');
    const bySms = await t.gql(DELETE, { smsCode: '123456' }, bearer(fay.accessToken));
    expect(errorCode(bySms)).toBe('BAD_USER_INPUT');
    const unsigned = await t.gql(DELETE, { reauth: { provider: 'ALIPAY', ...proof } });
    expect(errorCode(unsigned)).toBe('UNAUTHENTICATED');
    expect(await footprint(fay.userId)).toEqual({ status: 'active', identities: 1, liveSessions: 1 });
  });
});

describe('deleteMyAccount for a user with a phone', () => {
  it('by SMS code, as before', async () => {
    const phone = nextPhone('137');
    const user = await loginWithPhone(t, phone);
    t.app.get(Clock).advance(61); // the phone's resend interval
    const sent = await sendCode(t, phone, 'DELETE_ACCOUNT', bearer(user.accessToken));
    expect(sent.body.errors).toBeUndefined();
    const res = await t.gql(DELETE, { smsCode: latestCode(t, phone) }, bearer(user.accessToken));
    expect(res.body).toEqual({ data: { deleteMyAccount: true } });
    expect(await footprint(user.userId)).toEqual({ status: 'deleted', identities: 0, liveSessions: 0 });
    const [row] = await query<{ phone: string | null }>('SELECT phone FROM users WHERE id = ?', [user.userId]);
    expect(row.phone).toBeNull();
  });

  it('or by a fresh proof of a linked provider, without an SMS code', async () => {
    const phone = nextPhone('137');
    const user = await loginWithPhone(t, phone);
    const linked = await t.gql(
      LINK_APPLE,
      { input: await approve(t, 'APPLE', 'phone-owner') },
      bearer(user.accessToken),
    );
    expect(linked.body.errors).toBeUndefined();
    const proof = await approve(t, 'APPLE', 'phone-owner');
    const res = await t.gql(DELETE, { reauth: { provider: 'APPLE', ...proof } }, bearer(user.accessToken));
    expect(res.body).toEqual({ data: { deleteMyAccount: true } });
    expect(await footprint(user.userId)).toEqual({ status: 'deleted', identities: 0, liveSessions: 0 });
    // The phone is free again: logging in with it makes a new user.
    t.app.get(Clock).advance(61);
    const again = await loginWithPhone(t, phone);
    expect(again.userId).not.toBe(user.userId);
  });
});
