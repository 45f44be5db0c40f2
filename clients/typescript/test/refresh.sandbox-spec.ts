import {
  LoginClient,
  LoginOptionsDocument,
  LoginServiceError,
  LogoutDocument,
  MeDocument,
  MemoryStorage,
  isErrorCode,
} from '@wechat-login/client';
import { advanceServerClock, freshPhone, graphqlUrl, outboxCode, recordingFetch } from './sandbox';

const KEY = 'wechat-login.session';

async function signedInClient(options: { offsetMs?: { value: number } } = {}) {
  const storage = new MemoryStorage();
  const rec = recordingFetch();
  const ended: LoginServiceError[] = [];
  const offset = options.offsetMs ?? { value: 0 };
  const client = new LoginClient({
    url: graphqlUrl(),
    storage,
    fetch: rec.fetch,
    now: () => Date.now() + offset.value,
    onSessionEnded: (e) => ended.push(e),
  });
  const phone = freshPhone();
  await client.sendLoginCode(phone);
  const user = await client.loginWithPhone(phone, await outboxCode(phone));
  return { client, storage, rec, ended, user, offset };
}

describe('session refresh against the sandbox', () => {
  it('10 concurrent calls after the access token expired: one refreshSession, every call succeeds', async () => {
    const { client, storage, rec, user, offset } = await signedInClient();
    const before = JSON.parse((await storage.get(KEY))!);
    await advanceServerClock(16 * 60); // the 15-minute access token is dead on the server
    offset.value += 16 * 60 * 1000; // and the app's clock agrees

    const results = await Promise.all(Array.from({ length: 10 }, () => client.me()));
    expect(results.map((u) => u.id)).toEqual(Array(10).fill(user.id));
    expect(rec.count('RefreshSession')).toBe(1);
    expect(rec.count('Me')).toBe(10);
    const after = JSON.parse((await storage.get(KEY))!);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
  });

  it('10 concurrent calls refused UNAUTHENTICATED (app clock behind): one refreshSession, each call retried once', async () => {
    const { client, rec, user } = await signedInClient();
    await advanceServerClock(16 * 60); // the app does not know: it sends the old token

    const results = await Promise.all(Array.from({ length: 10 }, () => client.me()));
    expect(results.map((u) => u.id)).toEqual(Array(10).fill(user.id));
    expect(rec.count('RefreshSession')).toBe(1);
    expect(rec.count('Me')).toBe(20);
  });

  it('a stale refresh token from storage: accepted once within the grace, then the session ends typed', async () => {
    const { client, storage, rec, ended } = await signedInClient();
    const stale = (await storage.get(KEY))!;
    await client.session.refresh(); // rotates: the stored token is the new one
    const rotated = JSON.parse((await storage.get(KEY))!);

    // The app restores the old pair (a lost write, a backup): within 10 s the server answers once more.
    await storage.set(KEY, stale);
    const graced = await client.session.refresh();
    expect(graced.refreshToken).not.toBe(rotated.refreshToken);
    expect(ended).toEqual([]);

    // The same stale token again is reuse: the family is revoked and the SDK forgets the session.
    await storage.set(KEY, stale);
    const error = await client.session.refresh().catch((e: unknown) => e);
    expect(isErrorCode(error, 'UNAUTHENTICATED')).toBe(true);
    expect(await storage.get(KEY)).toBeNull();
    expect(ended.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(rec.count('RefreshSession')).toBe(3);
    // Every token of the family is dead on the server, the grace pair included.
    const refused = await client.transport
      .request(MeDocument, {}, { accessToken: graced.accessToken })
      .catch((e: unknown) => e);
    expect(isErrorCode(refused, 'UNAUTHENTICATED')).toBe(true);
    expect(await client.isSignedIn()).toBe(false);
  });

  it('a device clock an hour ahead neither refreshes on every call nor misses the expiry', async () => {
    const offset = { value: 60 * 60 * 1000 };
    const { client, rec, user } = await signedInClient({ offsetMs: offset });
    await Promise.all([client.me(), client.me(), client.me()]);
    expect(rec.count('RefreshSession')).toBe(0);
    offset.value += 14.5 * 60 * 1000; // 14.5 minutes later on that clock: within refreshAheadSeconds
    expect((await client.me()).id).toBe(user.id);
    expect(rec.count('RefreshSession')).toBe(1);
    expect(rec.count('Me')).toBe(4);
  });

  it('a public call still answers when the stored session turns out dead (session cleared, ended once)', async () => {
    const { client, storage, rec, ended, offset } = await signedInClient();
    const stored = JSON.parse((await storage.get(KEY))!);
    await client.transport.request(LogoutDocument, {}, { accessToken: stored.accessToken }); // ended elsewhere
    offset.value += 16 * 60 * 1000; // the access token is due: the client will try to refresh first
    const { loginOptions } = await client.request(LoginOptionsDocument, { platform: 'ANDROID', wechatInstalled: true });
    expect(loginOptions.methods).toEqual(['WECHAT', 'QQ', 'ALIPAY', 'PHONE']);
    expect(await client.isSignedIn()).toBe(false);
    expect(ended.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(rec.count('RefreshSession')).toBe(1);
  });

  it('two clients sharing one storage share one refresh', async () => {
    const { storage, rec, offset, user } = await signedInClient();
    const other = new LoginClient({
      url: graphqlUrl(),
      storage,
      fetch: rec.fetch,
      now: () => Date.now() + offset.value,
    });
    const first = new LoginClient({
      url: graphqlUrl(),
      storage,
      fetch: rec.fetch,
      now: () => Date.now() + offset.value,
    });
    await advanceServerClock(16 * 60);
    offset.value += 16 * 60 * 1000;
    const [a, b] = await Promise.all([first.me(), other.me()]);
    expect([a.id, b.id]).toEqual([user.id, user.id]);
    expect(rec.count('RefreshSession')).toBe(1);
  });
});
