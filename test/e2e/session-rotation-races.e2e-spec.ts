import { Database } from '../../src/database/database.service';
import { SessionsRepository } from '../../src/sessions/sessions.repository';
import { bearer, errorCode, loginWithPhone, ME, nextPhone, REFRESH } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

type Refreshed = { refreshSession: { accessToken: string; refreshToken: string } };

// The rotation's common path runs without a transaction (src/sessions/session-rotation.ts): the
// successor is inserted, then its predecessor claimed. These put another request exactly between the
// two and check what the locked path then decides, and that no successor is left behind.
describe('refresh-token rotation: a request between the insert and the claim', () => {
  let t: TestApp;
  let repository: SessionsRepository;
  let db: Database;

  const refresh = (token: string) => t.gql<Refreshed>(REFRESH, { token });
  const familyRows = async (userId: string) =>
    (await db.dataSource.query(
      'SELECT id, replaced_by, revoked_at, revoked_reason, grace_used_at FROM sessions WHERE user_id = ? ORDER BY created_at, id',
      [userId],
    )) as { id: string; replaced_by: string | null; revoked_at: unknown; revoked_reason: string | null }[];
  /** Runs `between` once, right before the next claim of a current token reaches the database. */
  const beforeNextClaim = (between: () => Promise<unknown>) => {
    const original = repository.claimCurrent.bind(repository);
    const spy = jest.spyOn(repository, 'claimCurrent').mockImplementationOnce(async (...args) => {
      spy.mockRestore();
      await between();
      return original(...args);
    });
    return spy;
  };

  beforeAll(async () => {
    t = await startTestApp();
    repository = t.app.get(SessionsRepository);
    db = t.app.get(Database);
  });

  afterAll(async () => {
    await t.close();
  });

  it('a racing refresh that claims first: the loser deletes its successor and gets the grace pair', async () => {
    const user = await loginWithPhone(t, nextPhone('137'));
    let first: Refreshed['refreshSession'] | undefined;
    beforeNextClaim(async () => {
      first = (await refresh(user.refreshToken)).body.data?.refreshSession;
    });
    const second = (await refresh(user.refreshToken)).body.data?.refreshSession;
    expect(first?.refreshToken).toEqual(expect.any(String));
    expect(second?.refreshToken).toEqual(expect.any(String));

    // The original (claimed, then its grace spent), the first's pair (superseded), the second's (live):
    // the second's fast-path successor is gone.
    const rows = await familyRows(user.userId);
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.revoked_at === null && r.replaced_by === null)).toHaveLength(1);
    expect(rows.filter((r) => r.revoked_reason === 'superseded')).toHaveLength(1);
    // Only the grace pair's refresh token works; the superseded one is refused.
    expect(errorCode(await refresh(first!.refreshToken))).toBe('UNAUTHENTICATED');
    expect((await refresh(second!.refreshToken)).body.data?.refreshSession.refreshToken).toEqual(expect.any(String));
  });

  it('a logout between the insert and the claim: refused, and no live row is left in the family', async () => {
    const user = await loginWithPhone(t, nextPhone('137'));
    beforeNextClaim(() => t.gql('mutation { logout }', undefined, bearer(user.accessToken)));
    expect(errorCode(await refresh(user.refreshToken))).toBe('UNAUTHENTICATED');
    const rows = await familyRows(user.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(expect.objectContaining({ replaced_by: null, revoked_reason: 'logout' }));
    expect(errorCode(await t.gql(ME, undefined, bearer(user.accessToken)))).toBe('UNAUTHENTICATED');
  });

  it('a claim that fails at the database: the error is answered and the successor is deleted', async () => {
    const user = await loginWithPhone(t, nextPhone('137'));
    jest.spyOn(repository, 'claimCurrent').mockRejectedValueOnce(new Error('connection lost'));
    const res = await refresh(user.refreshToken);
    expect(res.body.errors?.[0]).toBeDefined();
    expect(await familyRows(user.userId)).toHaveLength(1);
    // The token was never rotated: it still works.
    expect((await refresh(user.refreshToken)).body.data?.refreshSession.refreshToken).toEqual(expect.any(String));
  });
});
