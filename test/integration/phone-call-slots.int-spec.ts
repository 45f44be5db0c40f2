import { Database } from '../../src/database/database.service';
import { PhoneCallSlotsRepository, SlotReservation } from '../../src/wechat/phone-call-slots.repository';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18 (3): the mini-program phone cap is a reservation taken before WeChat is asked; unique keys
// settle the races (SQLite by default, MariaDB under TEST_DATABASE_URL).
describe('phone-call slots', () => {
  let t: TestApp;
  let slots: PhoneCallSlotsRepository;
  let day = 20_000;
  const now = new Date('2026-03-01T04:00:00Z');

  const reserve = (d: number, bindTicketId: string, cap = 3): Promise<SlotReservation> =>
    slots.reserve({ appId: 'wxslots', day: d, dayStart: new Date(d * 86_400_000), cap, bindTicketId, now });
  const rows = async (d: number) =>
    (await t.app
      .get(Database)
      .dataSource.query('SELECT slot, bind_ticket_id FROM wechat_phone_calls WHERE app_id = ? AND day = ?', [
        'wxslots',
        d,
      ])) as { slot: number | string; bind_ticket_id: string }[];

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    slots = t.app.get(PhoneCallSlotsRepository);
  });

  afterAll(async () => {
    await t.close();
  });

  beforeEach(() => {
    day += 1;
  });

  it('twenty parallel reservations against a cap of three with one used: two more are taken, the rest refused', async () => {
    expect(await reserve(day, 'used-ticket')).toEqual({ id: expect.any(String) });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(day, `ticket-${i}`)));
    expect(results.filter((r) => typeof r === 'object')).toHaveLength(2);
    expect(results.filter((r) => r === 'cap-reached')).toHaveLength(18);
    expect((await rows(day)).map((r) => Number(r.slot)).sort()).toEqual([1, 2, 3]);
  });

  it('one bind ticket gets one reservation however many arrive at once', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => reserve(day, 'one-ticket', 50)));
    expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
    expect(results.filter((r) => r === 'ticket-used')).toHaveLength(19);
    expect(await rows(day)).toHaveLength(1);
  });

  it('a ticket that already holds a reservation of another day is refused too', async () => {
    expect(await reserve(day, 'night-owl')).toEqual({ id: expect.any(String) });
    expect(await reserve(day + 1, 'night-owl')).toBe('ticket-used');
  });

  it('a released reservation gives its slot back; the cap still holds', async () => {
    const first = await reserve(day, 'a', 2);
    expect(await reserve(day, 'b', 2)).toEqual({ id: expect.any(String) });
    expect(await reserve(day, 'c', 2)).toBe('cap-reached');
    await slots.release((first as { id: string }).id);
    expect(await reserve(day, 'c', 2)).toEqual({ id: expect.any(String) });
    expect(await reserve(day, 'a', 2)).toBe('cap-reached');
  });

  it('rows of the previous release (no day, no slot) still count for the day they were made', async () => {
    const dayStart = new Date(day * 86_400_000);
    const database = t.app.get(Database);
    await database.sql.run('INSERT INTO wechat_phone_calls (id, app_id, created_at) VALUES (?, ?, ?)', [
      `legacy-${day}`,
      'wxslots',
      new Date(dayStart.getTime() + 1000),
    ]);
    expect(await reserve(day, 'x', 2)).toEqual({ id: expect.any(String) });
    expect(await reserve(day, 'y', 2)).toBe('cap-reached');
  });
});
