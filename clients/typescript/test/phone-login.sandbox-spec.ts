import { ADMIN_PHONE } from './sandbox-setup';
import {
  AdminTokenRefreshStatusDocument,
  AdminUsersDocument,
  LoginClient,
  LoginServiceError,
  MeDocument,
  MemoryStorage,
  MySessionsDocument,
  isErrorCode,
  type ErrorCode,
} from '@wechat-login/client';
import { freshPhone, graphqlUrl, outboxCode, recordingFetch } from './sandbox';

describe('phone login against the sandbox', () => {
  it('sends a code, logs in with it, stores the session and calls signed-in operations', async () => {
    const storage = new MemoryStorage();
    const rec = recordingFetch();
    const client = new LoginClient({
      url: graphqlUrl(),
      storage,
      fetch: rec.fetch,
      deviceId: 'dev-phone-1',
      platform: 'ANDROID',
    });
    const phone = freshPhone();

    const sent = await client.sendLoginCode(phone);
    expect(sent.phone).not.toBe(phone); // masked
    expect(Date.parse(sent.resendAfter)).toBeGreaterThan(0);
    const user = await client.loginWithPhone(phone, await outboxCode(phone));
    expect(user.phone).toBe(phone);

    const stored = JSON.parse((await storage.get('wechat-login.session'))!);
    expect(stored.user.id).toBe(user.id);
    expect(stored.refreshToken).toEqual(expect.any(String));

    expect((await client.me()).id).toBe(user.id);
    const { mySessions } = await client.request(MySessionsDocument, {});
    expect(mySessions).toEqual([
      expect.objectContaining({ current: true, deviceId: 'dev-phone-1', platform: 'ANDROID' }),
    ]);

    await client.logout();
    expect(await storage.get('wechat-login.session')).toBeNull();
    // The server ended it too: the old access token is refused.
    const stale = await client.transport
      .request(MeDocument, {}, { accessToken: stored.accessToken })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(LoginServiceError);
    expect((stale as LoginServiceError).code).toBe('UNAUTHENTICATED');
    expect(rec.operations).toEqual(['SendSmsCode', 'LoginWithPhone', 'Me', 'MySessions', 'Logout', 'Me']);
  });

  it('surfaces a wrong code as a typed, non-retryable SMS_CODE_INVALID, sent once', async () => {
    const rec = recordingFetch();
    const client = new LoginClient({ url: graphqlUrl(), fetch: rec.fetch });
    const phone = freshPhone();
    await client.sendLoginCode(phone);
    const right = await outboxCode(phone);
    const wrong = right === '000000' ? '111111' : '000000';

    const error = await client.loginWithPhone(phone, wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginServiceError);
    const typed = error as LoginServiceError;
    const code: ErrorCode = typed.code;
    expect(code).toBe('SMS_CODE_INVALID');
    expect(typed.retryable).toBe(false);
    expect(isErrorCode(error, 'SMS_CODE_INVALID')).toBe(true);
    // @ts-expect-error: not a code of the service's ErrorCode enum
    expect(isErrorCode(error, 'SMS_CODE_WRONG')).toBe(false);
    expect(rec.count('LoginWithPhone')).toBe(1);
    expect(await client.isSignedIn()).toBe(false);
  });

  it('refuses signed-in calls when signed out, without a request', async () => {
    const rec = recordingFetch();
    const client = new LoginClient({ url: graphqlUrl(), fetch: rec.fetch });
    const error = await client.me().catch((e: unknown) => e);
    expect(isErrorCode(error, 'UNAUTHENTICATED')).toBe(true);
    expect(rec.operations).toEqual([]);
  });
});

describe('admin operations through the SDK', () => {
  it('an ADMIN_PHONES user runs adminUsers and adminTokenRefreshStatus; a plain user gets FORBIDDEN', async () => {
    const admin = new LoginClient({ url: graphqlUrl() });
    await admin.sendLoginCode(ADMIN_PHONE);
    const me = await admin.loginWithPhone(ADMIN_PHONE, await outboxCode(ADMIN_PHONE));
    const { adminUsers } = await admin.request(AdminUsersDocument, { search: ADMIN_PHONE, first: 5 }, 'required');
    expect(adminUsers.items).toEqual([expect.objectContaining({ id: me.id, roles: ['admin'] })]);
    const { adminTokenRefreshStatus } = await admin.request(AdminTokenRefreshStatusDocument, {}, 'required');
    expect(adminTokenRefreshStatus.active).toEqual(expect.any(Number));

    const plain = new LoginClient({ url: graphqlUrl() });
    const phone = freshPhone();
    await plain.sendLoginCode(phone);
    await plain.loginWithPhone(phone, await outboxCode(phone));
    const error = await plain.request(AdminUsersDocument, {}, 'required').catch((e: unknown) => e);
    expect(isErrorCode(error, 'FORBIDDEN')).toBe(true);
  });
});
