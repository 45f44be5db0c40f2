import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { DatabaseHitCounter } from '../../src/rate-limits/database-hit-counter';
import { HitCounter } from '../../src/rate-limits/hit-counter';
import { bearer, latestCode, loginWithPhone, nextPhone, REFRESH, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

/** PIPL erasure: after deleteMyAccount nothing left in the database ties the person to a phone, place or device. */
describe('account deletion erases what the sessions and SMS tables kept', () => {
  let t: TestApp;
  const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    t.app.get(Database).dataSource.query(sql, params) as Promise<T[]>;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('leaves no IP, user agent or device id on the sessions, and no phone in sms_codes or the counters', async () => {
    const phone = nextPhone('136');
    const device = { 'user-agent': 'TestPhone/1.0 (erasure)' };
    const user = await loginWithPhone(t, phone, { deviceId: 'device-erase-1', platform: 'IOS', headers: device });
    // A rotation writes a second session row carrying the same traces.
    const refreshed = await t.gql<{ refreshSession: { accessToken: string } }>(
      REFRESH,
      { token: user.refreshToken },
      device,
    );
    const accessToken = refreshed.body.data!.refreshSession.accessToken;
    t.app.get(Clock).advance(61);
    expect((await sendCode(t, phone, 'DELETE_ACCOUNT', bearer(accessToken))).body.errors).toBeUndefined();

    // Before: the traces are there (so the checks below can fail).
    const sessionsBefore = await query<{ ip: string | null; user_agent: string | null; device_id: string | null }>(
      'SELECT ip, user_agent, device_id FROM sessions WHERE user_id = ?',
      [user.userId],
    );
    expect(sessionsBefore).toHaveLength(2);
    expect(sessionsBefore.every((s) => s.ip && s.user_agent && s.device_id)).toBe(true);
    expect(await query('SELECT id FROM sms_codes WHERE phone = ?', [phone])).not.toHaveLength(0);
    // The SMS counters saw this phone but key it by hash: the number is never stored there.
    const digits = `%${phone.slice(3)}%`;
    expect(await query('SELECT bucket_key FROM rate_limit_rows')).not.toHaveLength(0);
    expect(await query('SELECT bucket_key FROM rate_limit_rows WHERE bucket_key LIKE ?', [digits])).toEqual([]);
    await (t.app.get(HitCounter) as DatabaseHitCounter).sync();
    expect(await query('SELECT key_hash FROM rate_limit_slots')).not.toHaveLength(0);
    expect(await query('SELECT key_hash FROM rate_limit_slots WHERE key_hash LIKE ?', [digits])).toEqual([]);

    const res = await t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(t, phone) },
      bearer(accessToken),
    );
    expect(res.body).toEqual({ data: { deleteMyAccount: true } });

    const sessionsAfter = await query<{ ip: unknown; user_agent: unknown; device_id: unknown; revoked_at: unknown }>(
      'SELECT ip, user_agent, device_id, revoked_at FROM sessions WHERE user_id = ?',
      [user.userId],
    );
    expect(sessionsAfter).toHaveLength(2);
    for (const row of sessionsAfter) {
      expect(row).toEqual(expect.objectContaining({ ip: null, user_agent: null, device_id: null }));
      expect(row.revoked_at).not.toBeNull();
    }
    expect(await query('SELECT id FROM sms_codes WHERE phone = ?', [phone])).toEqual([]);
    expect(await query('SELECT bucket_key FROM rate_limit_rows WHERE bucket_key LIKE ?', [digits])).toEqual([]);
  });

  it('leaves other phones’ codes alone', async () => {
    const kept = nextPhone('136');
    await sendCode(t, kept);
    const deleted = await loginWithPhone(t, nextPhone('136'));
    t.app.get(Clock).advance(61);
    await sendCode(t, deleted.phone, 'DELETE_ACCOUNT', bearer(deleted.accessToken));
    const res = await t.gql(
      'mutation($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(t, deleted.phone) },
      bearer(deleted.accessToken),
    );
    expect(res.body.errors).toBeUndefined();
    expect(await query('SELECT id FROM sms_codes WHERE phone = ?', [kept])).toHaveLength(1);
  });
});
