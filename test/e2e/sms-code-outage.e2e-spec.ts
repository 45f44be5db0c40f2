import { Database } from '../../src/database/database.service';
import { errorCode, LOGIN, latestCode, nextPhone, sendCode } from '../support/flows';
import { StatementFaults } from '../support/statement-faults';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18 (9): during an outage, phone logins answered SERVICE_UNAVAILABLE (retryable) after their
// code had been consumed, so the retry could only fail. Now a retryable answer leaves the code
// usable; when the code cannot be given back either, the answer is not retryable.
describe('a phone login that fails on the database after its code was consumed', () => {
  let t: TestApp;
  let faults: StatementFaults;
  const login = (phone: string, smsCode: string) =>
    t.gql(LOGIN, { input: { phone, smsCode, deviceId: 'outage-device' } });
  const consumedAt = async (phone: string) => {
    const [row] = (await t.app
      .get(Database)
      .dataSource.query('SELECT consumed_at FROM sms_codes WHERE phone = ? ORDER BY created_at DESC LIMIT 1', [
        phone,
      ])) as { consumed_at: unknown }[];
    return row.consumed_at;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
  });

  beforeEach(() => {
    faults = new StatementFaults().install();
  });

  afterEach(() => {
    faults.uninstall();
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers SERVICE_UNAVAILABLE, retryable, and the same code logs in on the retry', async () => {
    const phone = nextPhone('134');
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    const code = latestCode(t, phone);
    // The outage strikes between the code's consumption and the session.
    faults.fail(/^INSERT INTO sessions/);
    const failed = await login(phone, code);
    expect(faults.failed).toHaveLength(1);
    expect(failed.body.errors?.[0]?.extensions).toEqual(
      expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
    );
    expect(await consumedAt(phone)).toBeNull();

    const retried = await login(phone, code);
    expect(retried.body.errors).toBeUndefined();
    expect(retried.body.data).toEqual({
      loginWithPhone: expect.objectContaining({ user: expect.objectContaining({ phone }) }),
    });
  });

  it('when the code cannot be given back either, the answer is not retryable', async () => {
    const phone = nextPhone('134');
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    const code = latestCode(t, phone);
    faults.fail(/^INSERT INTO sessions/).fail(/^UPDATE sms_codes SET consumed_at = NULL/);
    const failed = await login(phone, code);
    expect(faults.failed).toHaveLength(2);
    const extensions = failed.body.errors?.[0]?.extensions;
    expect(extensions).toEqual(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }));
    expect(extensions).not.toHaveProperty('retryable');
    // The answer was honest: the code is spent.
    expect(await consumedAt(phone)).not.toBeNull();
    expect(errorCode(await login(phone, code))).toBe('SMS_CODE_INVALID');
  });

  it('a consumption whose answer was lost is given back, so its retryable answer holds', async () => {
    const phone = nextPhone('134');
    expect((await sendCode(t, phone)).body.errors).toBeUndefined();
    const code = latestCode(t, phone);
    // The database consumed the code, and its answer was lost on the way back.
    faults.fail(/^UPDATE sms_codes SET consumed_at = \?/, 1, { afterRunning: true });
    const failed = await login(phone, code);
    expect(failed.body.errors?.[0]?.extensions).toEqual(
      expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
    );
    expect(await consumedAt(phone)).toBeNull();
    expect((await login(phone, code)).body.errors).toBeUndefined();
  });
});
