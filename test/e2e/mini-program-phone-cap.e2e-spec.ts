import { Clock } from '../../src/common/clock';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { errorCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18 (3): the daily cap of billed phone-button calls holds under concurrency, and one bind
// ticket is billed at most once, counted by the calls the fake WeChat received.
const MINI = {
  appId: 'wxcapmini00000001',
  secret: 'capminisecret000000000000000001',
  channel: 'mini_program' as const,
};
const MINI_LOGIN = `mutation M($input: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $input) { isBind bindTicket } }`;
const MINI_PHONE = `mutation P($input: MiniProgramBindPhoneInput!) {
  wechatMiniProgramBindPhone(input: $input) { accessToken user { id phone } }
}`;

describe('the mini-program phone cap under concurrency', () => {
  let t: TestApp;
  let fake: FakeWechatServer;
  let serial = 0;

  const ticketFor = async (person: string): Promise<string> => {
    const { code } = fake.miniProgramLogin({ appid: MINI.appId, person });
    const res = await t.gql<{ wechatMiniProgramLogin: { bindTicket: string } }>(MINI_LOGIN, { input: { code } });
    if (!res.body.data) throw new Error(`login failed: ${JSON.stringify(res.body.errors)}`);
    return res.body.data.wechatMiniProgramLogin.bindTicket;
  };
  const phoneCode = (person: string): string =>
    fake.phoneCode({ appid: MINI.appId, person, phone: `13913${String(1_000_000 + ++serial).slice(1)}` }).phoneCode;
  const bind = (bindTicket: string, code: string) => t.gql(MINI_PHONE, { input: { bindTicket, phoneCode: code } });
  const phoneCalls = () => fake.calls('getuserphonenumber' as never).length;

  beforeAll(async () => {
    fake = new FakeWechatServer({ apps: [MINI] });
    const base = await fake.listen(0);
    t = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        WECHAT_API_BASE: base,
        WECHAT_OPEN_BASE: base,
        WECHAT_APPS: `${MINI.channel}:${MINI.appId}:${MINI.secret}`,
        WECHAT_PHONE_DAILY_CAP: '3',
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  beforeEach(() => {
    // A new WeChat day (UTC+8) for each test: a fresh cap.
    t.app.get(Clock).advance(24 * 3600);
  });

  it('twenty parallel binds against a cap of three (one used) are billed twice; the rest fall back to SMS', async () => {
    const first = await ticketFor('cap-first');
    expect((await bind(first, phoneCode('cap-first'))).body.errors).toBeUndefined();
    const people = Array.from({ length: 20 }, (_, i) => `cap-${serial}-${i}`);
    const tickets = await Promise.all(people.map(ticketFor));
    const codes = people.map(phoneCode);
    fake.clearCalls();
    const answers = await Promise.all(tickets.map((ticket, i) => bind(ticket, codes[i])));
    expect(phoneCalls()).toBe(2);
    expect(answers.filter((res) => !res.body.errors)).toHaveLength(2);
    expect(answers.filter((res) => errorCode(res) === 'PHONE_QUOTA_EXCEEDED')).toHaveLength(18);
  });

  it('one ticket sent with twenty phone codes at once is billed once and binds once', async () => {
    const ticket = await ticketFor('one-ticket');
    const codes = Array.from({ length: 20 }, () => phoneCode('one-ticket'));
    fake.clearCalls();
    const answers = await Promise.all(codes.map((code) => bind(ticket, code)));
    expect(phoneCalls()).toBe(1);
    expect(answers.filter((res) => !res.body.errors)).toHaveLength(1);
    // The others find the ticket's reservation taken, or (once the bind committed) the ticket spent.
    for (const res of answers.filter((r) => r.body.errors)) {
      expect(['PHONE_QUOTA_EXCEEDED', 'BIND_TICKET_INVALID']).toContain(errorCode(res));
    }
  });

  it('a code WeChat refuses (not billed) gives the slot back: the same ticket binds with a good code', async () => {
    const ticket = await ticketFor('retry-ticket');
    fake.clearCalls();
    expect(errorCode(await bind(ticket, 'not-a-code-wechat-issued'))).toBe('WECHAT_CODE_INVALID');
    const bound = await bind(ticket, phoneCode('retry-ticket'));
    expect(bound.body.errors).toBeUndefined();
    expect(phoneCalls()).toBe(2);
  });

  it('a malformed phone code is refused before any reservation or call', async () => {
    const ticket = await ticketFor('bad-code');
    fake.clearCalls();
    expect(errorCode(await bind(ticket, 'bad\ud800code'))).toBe('BAD_USER_INPUT');
    expect(phoneCalls()).toBe(0);
    expect((await bind(ticket, phoneCode('bad-code'))).body.errors).toBeUndefined();
  });
});
