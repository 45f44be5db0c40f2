import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { Database } from '../../src/database/database.service';
import type { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { IdentitiesService } from '../../src/identities/identities.service';
import { WechatGrantsService } from '../../src/wechat/wechat-grants.service';
import { LOGIN, REFRESH, SEND_CODE, latestCode } from '../support/flows';
import { CONFIRM_QR, QR_STATUS, QrState, SCAN_QR, START_QR } from '../support/qr-login';
import { BIND_PHONE, START, WECHAT_LOGIN, WechatLoginData } from '../support/wechat';
import type { GqlResponse } from '../support/test-app';
import { type Instance, sleep } from './cluster';

/** What one flow step answered: 'ok' or the error code. */
export type Result = string;

export class Tally {
  readonly counts = new Map<string, number>();
  add(operation: string, result: Result): void {
    const key = `${operation} ${result}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  count(predicate: (operation: string, result: string) => boolean): number {
    let n = 0;
    for (const [key, value] of this.counts) {
      const [operation, result] = key.split(' ');
      if (predicate(operation, result)) n += value;
    }
    return n;
  }
  toString(): string {
    return [...this.counts.entries()]
      .sort()
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n');
  }
}

function outcome(res: GqlResponse<unknown>): Result {
  if (res.status >= 500 && !res.body.errors) return `HTTP_${res.status}`;
  const code = res.body.errors?.[0]?.extensions?.code;
  return code ? String(code) : 'ok';
}

let phoneSequence = 0;
/** Distinct mainland numbers per process run (each has its own per-phone limits). */
export function freshPhone(): string {
  phoneSequence += 1;
  return `+86139${String(process.pid % 10000).padStart(4, '0')}${String(phoneSequence).padStart(4, '0')}`;
}

/** Code sent through `send`, login through `login` (another instance, another node). */
export async function phoneLogin(
  tally: Tally,
  send: Instance,
  login: Instance,
  phone = freshPhone(),
): Promise<{ refreshToken: string; accessToken: string; userId: string } | null> {
  const sent = await send.gql(SEND_CODE, { input: { phone, purpose: 'LOGIN' } });
  tally.add('sendSmsCode', outcome(sent));
  if (sent.body.errors) return null;
  const res = await login.gql<{
    loginWithPhone: { refreshToken: string; accessToken: string; user: { id: string } };
  }>(LOGIN, {
    input: { phone, smsCode: latestCode(send, phone), deviceId: 'load' },
  });
  tally.add('loginWithPhone', outcome(res));
  const session = res.body.data?.loginWithPhone;
  return session
    ? { refreshToken: session.refreshToken, accessToken: session.accessToken, userId: session.user.id }
    : null;
}

/**
 * A QR login across nodes: the page starts it and collects on `page`, the signed-in app scans and
 * confirms on `app`. 'ok' only when exactly one of the page's answers carried a session.
 */
export async function qrLoginAcross(tally: Tally, page: Instance, app: Instance, accessToken: string): Promise<void> {
  const started = await page.gql<{ startQrLogin: { id: string; qrContent: string; pollToken: string } }>(START_QR, {
    deviceId: 'load-page',
  });
  tally.add('startQrLogin', outcome(started));
  const qr = started.body.data?.startQrLogin;
  if (!qr) return;
  const auth = { authorization: `Bearer ${accessToken}` };
  // A person takes seconds to scan; without wsrep_sync_wait the other node may lag by a moment.
  await sleep(100);
  for (const [operation, query] of [
    ['scanQrLogin', SCAN_QR],
    ['confirmQrLogin', CONFIRM_QR],
  ] as const) {
    const res = await app.gql(query, { qrContent: qr.qrContent }, auth);
    tally.add(operation, outcome(res));
    if (res.body.errors) return;
  }
  // The page polls until it sees the confirmation (a stale read shows SCANNED a moment longer), then
  // once more: exactly one answer carries the session.
  const polls: GqlResponse<{ qrLoginStatus: QrState }>[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await page.gql<{ qrLoginStatus: QrState }>(QR_STATUS, { id: qr.id, pollToken: qr.pollToken });
    polls.push(res);
    if (res.body.errors || res.body.data?.qrLoginStatus.status === 'CONFIRMED') break;
    await sleep(50);
  }
  polls.push(await page.gql<{ qrLoginStatus: QrState }>(QR_STATUS, { id: qr.id, pollToken: qr.pollToken }));
  const sessions = polls.filter((res) => res.body.data?.qrLoginStatus.session).length;
  tally.add(
    'qrLoginStatus',
    polls.map(outcome).find((r) => r !== 'ok') ?? (sessions === 1 ? 'ok' : `SESSIONS_${sessions}`),
  );
}

let personSequence = 0;
/** A WeChat first login (a new person) started on one instance, finished on the other, then bound to a phone. */
export async function wechatFirstLogin(
  tally: Tally,
  fake: FakeWechatServer,
  first: Instance,
  second: Instance,
): Promise<boolean> {
  personSequence += 1;
  const person = `load-${process.pid}-${personSequence}`;
  const started = await first.gql<{ startWechatLogin: { state: string } }>(START, {
    deviceId: person,
    appId: SANDBOX_WECHAT_APP.appId,
  });
  tally.add('startWechatLogin', outcome(started));
  if (!started.body.data) return false;
  const { code } = fake.authorize({
    appid: SANDBOX_WECHAT_APP.appId,
    state: started.body.data.startWechatLogin.state,
    person,
  });
  const res = await second.gql<WechatLoginData>(WECHAT_LOGIN, {
    input: { code, state: started.body.data.startWechatLogin.state, deviceId: person, appId: SANDBOX_WECHAT_APP.appId },
  });
  tally.add('wechatLogin', outcome(res));
  const ticket = res.body.data?.wechatLogin.bindTicket;
  if (!ticket) return false;
  const phone = freshPhone();
  const sent = await first.gql(SEND_CODE, { input: { phone, purpose: 'BIND_PHONE', bindTicket: ticket } });
  tally.add('sendSmsCode', outcome(sent));
  if (sent.body.errors) return false;
  const bound = await second.gql(BIND_PHONE, {
    input: { bindTicket: ticket, phone, smsCode: latestCode(first, phone), deviceId: person },
  });
  tally.add('bindPhone', outcome(bound));
  return !bound.body.errors;
}

export async function refreshSession(tally: Tally, on: Instance, refreshToken: string): Promise<string | null> {
  const res = await on.gql<{ refreshSession: { refreshToken: string } }>(REFRESH, { token: refreshToken });
  tally.add('refreshSession', outcome(res));
  return res.body.data?.refreshSession.refreshToken ?? null;
}

/** `count` WeChat grants, exchanged at the fake over HTTP and stored through `through`, 50 per transaction. */
export async function makeGrants(
  fake: FakeWechatServer,
  through: Instance,
  count: number,
  parallel = 16,
): Promise<void> {
  const base = fake['standalone'].address()!;
  const identities = through.app.get(IdentitiesService);
  const grants = through.app.get(WechatGrantsService);
  const database = through.app.get(Database);
  const exchange = async (i: number) => {
    const person = `grant-${process.pid}-${i}`;
    const { code } = fake.authorize({ appid: SANDBOX_WECHAT_APP.appId, person });
    const res = await fetch(
      `http://127.0.0.1:${base.port}/sns/oauth2/access_token?appid=${SANDBOX_WECHAT_APP.appId}&secret=${SANDBOX_WECHAT_APP.secret}&code=${code}&grant_type=authorization_code`,
    );
    const body = (await res.json()) as {
      access_token: string;
      refresh_token: string;
      openid: string;
      unionid: string;
      expires_in: number;
    };
    return { person, body };
  };
  for (let start = 0; start < count; start += 50) {
    const slice = Array.from({ length: Math.min(50, count - start) }, (_, k) => start + k);
    const exchanged: Awaited<ReturnType<typeof exchange>>[] = [];
    for (let k = 0; k < slice.length; k += parallel) {
      exchanged.push(...(await Promise.all(slice.slice(k, k + parallel).map(exchange))));
    }
    await database.transaction(async (m) => {
      for (const { person, body } of exchanged) {
        const identity = await identities.upsert(m, {
          provider: 'wechat',
          appId: SANDBOX_WECHAT_APP.appId,
          subject: body.openid,
          unionid: body.unionid,
          channel: 'app',
          profile: { nickname: person, language: 'zh_CN' },
        });
        await grants.storeGrant(
          m,
          identity.id,
          {
            accessToken: body.access_token,
            refreshToken: body.refresh_token,
            openid: body.openid,
            unionid: body.unionid,
            expiresIn: body.expires_in,
            scope: 'snsapi_userinfo',
          },
          true,
        );
      }
    });
  }
}
