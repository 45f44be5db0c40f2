import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { latestCode, nextPhone, sendCode } from '../support/flows';
import { StatementCounter } from '../support/statement-counter';
import { WebhookReceiver } from '../support/webhook-receiver';
import { loginAndBind, START, WechatLoginData, WechatWorld, startWechatWorld } from '../support/wechat';

// With WEBHOOK_URL set, a returning user's login has nothing to report: it writes no outbox row and
// issues exactly the statements it issues without webhooks (statement-counts*.e2e-spec.ts: 9 for the
// returning WeChat login, 5 for a phone login). A first login does write its events, in its transaction.
const WECHAT_LOGIN = `mutation WechatLogin($input: WechatLoginInput!) {
  wechatLogin(input: $input) { isBind bindTicket session { accessToken refreshToken user { id } } }
}`;
const LOGIN = 'mutation L($input: PhoneLoginInput!) { loginWithPhone(input: $input) { accessToken user { id } } }';

describe('statements per operation with webhooks on', () => {
  const receiver = new WebhookReceiver();
  let world: WechatWorld;
  let counter: StatementCounter;
  let seq = 0;

  const counted = async <T>(query: string, variables?: Record<string, unknown>) => {
    const requestId = `stmt-webhooks-${process.pid}-${++seq}`;
    const res = await world.t.gql<T>(query, variables, { 'x-request-id': requestId });
    return { res, statements: counter.statementsOf(requestId) };
  };

  const outboxRows = async (): Promise<number> => {
    const [row] = (await world.t.app.get(Database).dataSource.query('SELECT COUNT(*) AS n FROM outbox')) as {
      n: unknown;
    }[];
    return Number(row.n);
  };

  beforeAll(async () => {
    const url = await receiver.listen();
    world = await startWechatWorld({ WEBHOOK_URL: url, WEBHOOK_SECRET: newWebhookSecret(), SMS_RESEND_SECONDS: '1' });
    counter = new StatementCounter().install();
  });

  afterAll(async () => {
    counter.uninstall();
    await world.close();
    await receiver.close();
  });

  it('a returning WeChat login: 9 statements to log in, as without webhooks, and no outbox row', async () => {
    const person = 'stmt-hook-person';
    const rowsBefore = await outboxRows();
    await loginAndBind(world, person, nextPhone('137'));
    // The first login did report itself (user.created, identity.linked).
    const rows = await outboxRows();
    expect(rows).toBeGreaterThan(rowsBefore);
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
    expect({ start: start.statements.length, login: login.statements.length }).toEqual({ start: 1, login: 9 });
    expect(login.statements.filter((text) => /outbox/i.test(text))).toEqual([]);
    expect(await outboxRows()).toBe(rows);
  });

  it('a returning phone login: 5 statements, as without webhooks, and no outbox row; the first one wrote user.created', async () => {
    const phone = nextPhone('139');
    await sendCode(world.t, phone, 'LOGIN');
    const first = await counted(LOGIN, { input: { phone, smsCode: latestCode(world.t, phone) } });
    expect(first.res.body.errors).toBeUndefined();
    expect(first.statements.filter((text) => /INSERT INTO outbox/i.test(text))).toHaveLength(1);
    const rows = await outboxRows();

    world.t.app.get(Clock).advance(2);
    await sendCode(world.t, phone, 'LOGIN');
    const again = await counted(LOGIN, { input: { phone, smsCode: latestCode(world.t, phone) } });
    expect(again.res.body.errors).toBeUndefined();
    expect(again.statements).toHaveLength(5);
    expect(again.statements.filter((text) => /outbox/i.test(text))).toEqual([]);
    expect(await outboxRows()).toBe(rows);
  });
});
