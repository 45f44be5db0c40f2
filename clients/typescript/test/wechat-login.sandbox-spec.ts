import { LoginClient, MemoryStorage, isErrorCode } from '@wechat-login/client';
import { freshPhone, graphqlUrl, outboxCode, recordingFetch, wechatAuthorize, wechatFault } from './sandbox';

describe('WeChat login against the sandbox (fake WeChat)', () => {
  it('first login binds a phone, the second login is signed in directly as the same user', async () => {
    const person = `sdk-person-${Date.now()}`;
    const phone = freshPhone();
    const storage = new MemoryStorage();
    const client = new LoginClient({ url: graphqlUrl(), storage, deviceId: 'dev-wx-1', platform: 'IOS' });

    // 1. state for SendAuth.Req; 2. the WeChat app authorizes (the fake) and gives a code
    const start = await client.startWechatLogin();
    expect(start.scope).toBe('snsapi_userinfo');
    const first = await client.completeWechatLogin(await wechatAuthorize(person, start.state), start.state);
    if (first.isBind) throw new Error('a first WeChat login must ask for a phone');
    expect(first.bindTicket).toEqual(expect.any(String));
    expect(await client.isSignedIn()).toBe(false);

    // 3. binding: BIND_PHONE code with the ticket, then bindPhone
    await client.sendBindCode(phone, first.bindTicket);
    const user = await client.bindPhone(first.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'));
    expect(user).toEqual(expect.objectContaining({ phone, wechatLinked: true }));
    expect((await client.me()).id).toBe(user.id);

    // Next time: isBind, session stored, same user.
    await client.logout();
    const again = await client.startWechatLogin();
    const second = await client.completeWechatLogin(await wechatAuthorize(person, again.state), again.state);
    expect(second.isBind).toBe(true);
    if (second.isBind) expect(second.user.id).toBe(user.id);
    expect((await client.currentSession())?.user.id).toBe(user.id);

    // Cold start: wechatRelogin rotates the pair (stored) and re-checks the grant.
    const before = await client.currentSession();
    const rec = recordingFetch();
    const cold = new LoginClient({ url: graphqlUrl(), storage, fetch: rec.fetch });
    expect((await cold.wechatRelogin()).id).toBe(user.id);
    const after = await cold.currentSession();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect((await cold.me()).id).toBe(user.id);
    expect(rec.operations).toEqual(['WechatRelogin', 'Me']);
  });

  it('retries a retryable WeChat failure with the same code and signs in', async () => {
    const rec = recordingFetch();
    const client = new LoginClient({
      url: graphqlUrl(),
      fetch: rec.fetch,
      deviceId: 'dev-wx-2',
      retry: { baseDelayMs: 10 },
    });
    const person = `sdk-retry-${Date.now()}`;
    const start = await client.startWechatLogin();
    const code = await wechatAuthorize(person, start.state);
    await wechatFault({ endpoint: 'access_token', errcode: 45011, times: 1 }); // WeChat rate-limits once

    const outcome = await client.completeWechatLogin(code, start.state);
    expect(outcome.isBind).toBe(false);
    expect(rec.count('WechatLogin')).toBe(2);
  });

  it('does not retry a dead code: WECHAT_CODE_INVALID once', async () => {
    const rec = recordingFetch();
    const client = new LoginClient({ url: graphqlUrl(), fetch: rec.fetch, deviceId: 'dev-wx-3' });
    const start = await client.startWechatLogin();
    await wechatAuthorize(`sdk-dead-${Date.now()}`, start.state);
    const error = await client.completeWechatLogin('not-a-code-from-wechat', start.state).catch((e: unknown) => e);
    expect(isErrorCode(error, 'WECHAT_CODE_INVALID')).toBe(true);
    expect(rec.count('WechatLogin')).toBe(1);
  });
});
