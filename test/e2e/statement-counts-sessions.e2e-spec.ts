import { bearer, nextPhone, REFRESH } from '../support/flows';
import { StatementCounter } from '../support/statement-counter';
import { loginAndBind, START, WechatLoginData, WechatWorld, startWechatWorld } from '../support/wechat';
import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';

// Issue 14: statements per operation of the perf kit's WeChat, me and refresh flows (every round trip,
// BEGIN and COMMIT included). Deterministic, so asserted; speed is printed by bench/, never asserted.
// Budgets: returning WeChat login (start + login) <= 11, me <= 2, refreshSession <= 6.
// The perf kit's own selection (../shared/perf/driver.mjs): no field that needs a read of its own.
const WECHAT_LOGIN = `mutation WechatLogin($input: WechatLoginInput!) {
  wechatLogin(input: $input) { isBind bindTicket session { accessToken refreshToken user { id } } }
}`;

describe('statements per operation: WeChat login, me, refresh', () => {
  let world: WechatWorld;
  let counter: StatementCounter;
  let seq = 0;

  const counted = async <T>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => {
    const requestId = `stmt-sessions-${process.pid}-${++seq}`;
    const res = await world.t.gql<T>(query, variables, { ...headers, 'x-request-id': requestId });
    return { res, statements: counter.statementsOf(requestId), trips: counter.roundTripsOf(requestId) };
  };
  // On MySQL a transaction's BEGIN rides with its first statement and its queued writes with its
  // COMMIT (ConnectionSql); SQLite runs each statement on its own.
  const mysql = process.env.TEST_DATABASE_URL !== undefined;

  beforeAll(async () => {
    world = await startWechatWorld();
    counter = new StatementCounter().install();
  });

  afterAll(async () => {
    counter.uninstall();
    await world.close();
  });

  it('a returning WeChat login: 1 statement to start, 9 to log in (the budget is 11)', async () => {
    const person = 'stmt-person-1';
    await loginAndBind(world, person, nextPhone('137'));
    const start = await counted<{ startWechatLogin: { state: string } }>(START, {
      deviceId: 'device-1',
      appId: SANDBOX_WECHAT_APP.appId,
    });
    const state = start.res.body.data!.startWechatLogin.state;
    const { code } = world.fake.authorize({ appid: SANDBOX_WECHAT_APP.appId, state, person });
    const login = await counted<WechatLoginData>(WECHAT_LOGIN, {
      input: { code, state, deviceId: 'device-1', appId: SANDBOX_WECHAT_APP.appId },
    });
    expect(login.res.body.errors).toBeUndefined();
    expect(login.res.body.data!.wechatLogin.isBind).toBe(true);
    // start: the state row. login: the code claimed with its state spent (one INSERT ... SELECT),
    // then one transaction: the identity read with its user, grant and unionid holders; the login
    // stamp; the session; the audit row; the grant; the code's outcome.
    expect({ start: start.statements.length, login: login.statements.length }).toEqual({ start: 1, login: 9 });
    // MySQL round trips: the claim; BEGIN with the read; the stamp, session, audit row, grant and
    // outcome with COMMIT.
    expect(login.trips).toBe(mysql ? 3 : 9);
    expect(login.statements.slice(-1)).toEqual(['COMMIT']);
  });

  it('me: one statement (the session and its user, read once by the access check)', async () => {
    const session = await loginAndBind(world, 'stmt-person-2', nextPhone('137'));
    const me = await counted<{ me: { id: string; phone: string } }>(
      '{ me { id phone } }',
      undefined,
      bearer(session.accessToken),
    );
    expect(me.res.body.data?.me.id).toBe(session.userId);
    expect(me.statements).toHaveLength(1);
  });

  it('refreshSession: 5 statements (BEGIN, the locked read with the user, the claim, the new row, COMMIT)', async () => {
    const session = await loginAndBind(world, 'stmt-person-3', nextPhone('137'));
    const refreshed = await counted<{ refreshSession: { refreshToken: string } }>(REFRESH, {
      token: session.refreshToken,
    });
    expect(refreshed.res.body.data?.refreshSession.refreshToken).toEqual(expect.any(String));
    expect(refreshed.statements).toHaveLength(5);
    // MySQL: BEGIN with the locked read; the claim and the successor with COMMIT.
    expect(refreshed.trips).toBe(mysql ? 2 : 5);
  });
});
