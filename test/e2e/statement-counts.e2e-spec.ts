import { latestCode, nextPhone } from '../support/flows';
import { StatementCounter } from '../support/statement-counter';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 14: statements per operation on the phone path (every round trip, BEGIN and COMMIT included).
// Counts are deterministic, so they are asserted; speed is not (bench/ prints it).
// The perf kit's own operations (../shared/perf/driver.mjs).
const SESSION = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id }';
const SEND_CODE =
  'mutation SendSmsCode($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone expiresAt resendAfter } }';
const LOGIN = `mutation LoginWithPhone($input: PhoneLoginInput!) { loginWithPhone(input: $input) { ${SESSION} } }`;

describe('statements per operation', () => {
  let t: TestApp;
  let counter: StatementCounter;
  let seq = 0;

  /** Runs one GraphQL call under its own request id and answers it with the statements it issued. */
  const counted = async (query: string, variables?: Record<string, unknown>) => {
    const requestId = `stmt-count-${process.pid}-${++seq}`;
    const res = await t.gql(query, variables, { 'x-request-id': requestId });
    return { res, statements: counter.statementsOf(requestId), trips: counter.roundTripsOf(requestId) };
  };
  const mysql = process.env.TEST_DATABASE_URL !== undefined;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    counter = new StatementCounter().install();
  });

  afterAll(async () => {
    counter.uninstall();
    await t.close();
  });

  it('a public call that needs no database issues none: the general throttle counts in memory', async () => {
    const { res, statements } = await counted('{ loginOptions(platform: ANDROID, wechatInstalled: true) { methods } }');
    expect(res.body.errors).toBeUndefined();
    expect(statements).toEqual([]);
  });

  it('the phone flow of a new user (sendSmsCode + loginWithPhone) issues 7 statements (the budget is 8)', async () => {
    const phone = nextPhone('139');
    const send = await counted(SEND_CODE, { input: { phone, purpose: 'LOGIN' } });
    expect(send.res.body.errors).toBeUndefined();
    const login = await counted(LOGIN, { input: { phone, smsCode: latestCode(t, phone) } });
    expect(login.res.body.errors).toBeUndefined();
    expect(login.res.body.data).toEqual({
      loginWithPhone: expect.objectContaining({ accessToken: expect.any(String), user: { id: expect.any(String) } }),
    });
    // sendSmsCode: the phone's counter row (INSERT: no send to it today), the code row.
    // loginWithPhone: the code consumed (one conditional UPDATE), the user looked up and created,
    // the session, the audit row. No BEGIN/COMMIT: each is atomic on its own.
    expect({ send: send.statements.length, login: login.statements.length }).toEqual({ send: 2, login: 5 });
    // MySQL round trips: the claim; the lookup; the new user, its session and audit row together
    // (Database.sqlSession).
    expect(login.trips).toBe(mysql ? 3 : 5);
    expect(login.statements.slice(-3).map((text) => text.split(' (')[0])).toEqual([
      'INSERT INTO users',
      'INSERT INTO sessions',
      'INSERT INTO audit_events',
    ]);
    expect([...send.statements, ...login.statements].some((text) => /^(BEGIN|START|COMMIT)/i.test(text))).toBe(false);
  });
});
