import { decodeJwt } from 'jose';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, loginWithPhone, nextPhone, REFRESH } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN_QUERY = '{ adminUsers(first: 1) { total } }';
type Refreshed = { refreshSession: { accessToken: string; refreshToken: string } };

/** ADMIN_PHONES is authoritative: the service restarted with another list gives and takes admin at once. */
describe('ADMIN_PHONES after a restart with another list', () => {
  const removed = nextPhone('139');
  const added = nextPhone('139');
  let before: TestApp;
  let after: TestApp;
  let removedSession: { accessToken: string; refreshToken: string };
  let addedSession: { accessToken: string; refreshToken: string };

  const admin = (t: TestApp, accessToken: string) => t.gql(ADMIN_QUERY, undefined, bearer(accessToken));
  const refresh = async (t: TestApp, token: string) => {
    const res = await t.gql<Refreshed>(REFRESH, { token });
    if (!res.body.data) throw new Error(`refresh failed: ${JSON.stringify(res.body.errors)}`);
    return res.body.data.refreshSession;
  };

  beforeAll(async () => {
    before = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: removed } });
    removedSession = await loginWithPhone(before, removed);
    addedSession = await loginWithPhone(before, added);
    // As things were: the listed phone is admin, the other is not.
    expect((await admin(before, removedSession.accessToken)).body.errors).toBeUndefined();
    expect(errorCode(await admin(before, addedSession.accessToken))).toBe('FORBIDDEN');
    await before.close(true);
    after = await startTestApp({
      env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: added },
      reuse: { database: before.database, dataDir: before.dataDir },
    });
  });

  afterAll(async () => {
    await after?.close();
  });

  it('a removed phone loses admin with the access token it already holds', async () => {
    expect(errorCode(await admin(after, removedSession.accessToken))).toBe('FORBIDDEN');
    // Still signed in: only the role is gone.
    expect(
      (await after.gql('{ me { id } }', undefined, bearer(removedSession.accessToken))).body.errors,
    ).toBeUndefined();
  });

  it('a removed phone gets no admin from a refresh', async () => {
    const refreshed = await refresh(after, removedSession.refreshToken);
    expect(decodeJwt(refreshed.accessToken).roles).toEqual([]);
    expect(errorCode(await admin(after, refreshed.accessToken))).toBe('FORBIDDEN');
  });

  it('a removed phone gets no admin from a fresh login, and its stored role is gone', async () => {
    after.app.get(Clock).advance(61); // past the resend interval of the first login's code
    const fresh = await loginWithPhone(after, removed);
    expect(decodeJwt(fresh.accessToken).roles).toEqual([]);
    expect(errorCode(await admin(after, fresh.accessToken))).toBe('FORBIDDEN');
    const [row] = (await after.app
      .get(Database)
      .dataSource.query('SELECT roles FROM users WHERE id = ?', [fresh.userId])) as { roles: string }[];
    expect(row.roles).toBe('');
  });

  it('an added phone is admin at its next request, refresh and login', async () => {
    expect((await admin(after, addedSession.accessToken)).body.errors).toBeUndefined();
    const refreshed = await refresh(after, addedSession.refreshToken);
    expect(decodeJwt(refreshed.accessToken).roles).toEqual(['admin']);
    expect((await admin(after, refreshed.accessToken)).body.errors).toBeUndefined();
    after.app.get(Clock).advance(61);
    const fresh = await loginWithPhone(after, added);
    expect(decodeJwt(fresh.accessToken).roles).toEqual(['admin']);
    const listed = await after.gql<{ adminUser: { roles: string[] } }>(
      'query($id: ID!) { adminUser(id: $id) { roles } }',
      { id: fresh.userId },
      bearer(fresh.accessToken),
    );
    expect(listed.body.data?.adminUser.roles).toEqual(['admin']);
  });
});
