import { createHash, randomBytes } from 'node:crypto';
import { Database } from '../../src/database/database.service';
import { bearer } from './flows';
import type { TestApp } from './test-app';

// What the provider-event specs look at: a person's identities, sessions, account, the audit rows and
// the webhooks the effects wrote into the outbox (the drainer is off, so they stay there to be read).

export const EVENT_ENV = {
  SMS_CONSOLE_LOG_CODES: 'false',
  REQUIRE_PHONE: 'false',
  PROVIDER_EVENTS_SWEEP_SECONDS: '0',
  WEBHOOK_URL: 'http://127.0.0.1:9/never-called',
  WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  OUTBOX_ENABLED: 'false',
};

export const query = async <T = Record<string, unknown>>(t: TestApp, text: string, params: unknown[] = []) =>
  (await t.app.get(Database).dataSource.query(text, params)) as T[];

export async function identitiesOf(t: TestApp, userId: string): Promise<{ provider: string; app_id: string }[]> {
  return query(t, 'SELECT provider, app_id FROM identities WHERE user_id = ? ORDER BY provider', [userId]);
}

export async function userRow(t: TestApp, userId: string): Promise<{ status: string; phone: string | null }> {
  const [row] = await query<{ status: string; phone: string | null }>(
    t,
    'SELECT status, phone FROM users WHERE id = ?',
    [userId],
  );
  return row;
}

/** Session ids (family ids) still live, and those revoked with their reason. */
export async function sessionsOf(t: TestApp, userId: string): Promise<{ live: string[]; revoked: string[] }> {
  const rows = await query<{
    family_id: string;
    revoked_at: unknown;
    revoked_reason: string | null;
    replaced_by: unknown;
  }>(t, 'SELECT family_id, revoked_at, revoked_reason, replaced_by FROM sessions WHERE user_id = ?', [userId]);
  return {
    live: rows.filter((r) => !r.revoked_at && !r.replaced_by).map((r) => r.family_id),
    revoked: rows.filter((r) => r.revoked_at).map((r) => `${r.family_id}:${r.revoked_reason}`),
  };
}

export async function auditActions(t: TestApp, userId: string): Promise<string[]> {
  const rows = await query<{ action: string }>(
    t,
    'SELECT action FROM audit_events WHERE subject_user_id = ? ORDER BY created_at, id',
    [userId],
  );
  return rows.map((r) => r.action);
}

/** The webhooks written for a user: `type` and `data`. */
export async function webhooksOf(
  t: TestApp,
  userId: string,
): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await query<{ payload: string }>(t, "SELECT payload FROM outbox WHERE kind = 'webhook' ORDER BY id");
  return rows
    .map((r) => JSON.parse(r.payload) as { type: string; data: Record<string, unknown> })
    .filter((body) => body.data.userId === userId)
    .map(({ type, data }) => ({ type, data }));
}

/** A person signs in with Apple (fake Apple), or links Apple when `accessToken` is given. */
export async function appleSignIn(
  t: TestApp,
  person: string,
  accessToken?: string,
): Promise<{ sub: string; userId: string; accessToken: string; refreshToken: string }> {
  const rawNonce = `nonce-${person}-${randomBytes(4).toString('hex')}`;
  const res = await t
    .http()
    .post('/sandbox/apple/authorize')
    .send({ person, nonce: createHash('sha256').update(rawNonce).digest('hex') });
  const approved = res.body as { identityToken: string; authorizationCode: string; sub: string };
  const input = {
    identityToken: approved.identityToken,
    authorizationCode: approved.authorizationCode,
    nonce: rawNonce,
  };
  if (accessToken) {
    const linked = await t.gql<{ linkApple: { id: string } }>(
      'mutation L($input: AppleLoginInput!) { linkApple(input: $input) { id } }',
      { input },
      bearer(accessToken),
    );
    if (linked.body.errors) throw new Error(JSON.stringify(linked.body.errors));
    return { sub: approved.sub, userId: linked.body.data!.linkApple.id, accessToken, refreshToken: '' };
  }
  const login = await t.gql<{
    appleLogin: { session: { accessToken: string; refreshToken: string; user: { id: string } } };
  }>(
    'mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { session { accessToken refreshToken user { id } } } }',
    { input },
  );
  if (login.body.errors) throw new Error(JSON.stringify(login.body.errors));
  const session = login.body.data!.appleLogin.session;
  return {
    sub: approved.sub,
    userId: session.user.id,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
  };
}

/** A person opens the mini program (fake WeChat): no phone needed (REQUIRE_PHONE=false), a session. */
export async function miniProgramSignIn(
  t: TestApp,
  appid: string,
  person: string,
): Promise<{ userId: string; accessToken: string; openid: string }> {
  const res = await t.http().post('/sandbox/wechat/miniprogram/login').send({ appid, person });
  const { code, openid } = res.body as { code: string; openid: string };
  const login = await t.gql<{
    wechatMiniProgramLogin: { session: { accessToken: string; user: { id: string } } };
  }>(
    'mutation M($i: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $i) { session { accessToken user { id } } } }',
    { i: { code, appId: appid } },
  );
  if (login.body.errors) throw new Error(JSON.stringify(login.body.errors));
  const session = login.body.data!.wechatMiniProgramLogin.session;
  return { userId: session.user.id, accessToken: session.accessToken, openid };
}
