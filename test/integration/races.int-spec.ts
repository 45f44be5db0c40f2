import { Database } from '../../src/database/database.service';
import { UsersService } from '../../src/users/users.service';
import { nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

describe('race-prone writes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('ten parallel first uses of one phone make one user, and all of them get it', async () => {
    const phone = nextPhone('133');
    const database = t.app.get(Database);
    const users = t.app.get(UsersService);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => database.transaction((manager) => users.findOrCreateByPhone(manager, phone))),
    );
    const ids = new Set(results.map((r) => r.user.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [row] = (await database.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE phone = ?', [phone])) as {
      n: number;
    }[];
    expect(Number(row.n)).toBe(1);
  });
});
