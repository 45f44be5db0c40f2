import { RequestMeta } from '../../src/common/request-meta';
import { Database } from '../../src/database/database.service';
import { DomainError } from '../../src/errors/domain-error';
import { AccountLinkingService } from '../../src/identities/account-linking.service';
import { UsersService } from '../../src/users/users.service';
import { nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Users and admins unlink through the one unlink of the linking service; the rules differ by who acts.
describe('unlinking identities', () => {
  let t: TestApp;
  let database: Database;
  let linking: AccountLinkingService;
  const meta: RequestMeta = { ip: '203.0.113.8', userAgent: null };
  let subjects = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', REQUIRE_PHONE: 'false' } });
    database = t.app.get(Database);
    linking = t.app.get(AccountLinkingService);
  });

  afterAll(async () => {
    await t.close();
  });

  const query = <T>(text: string, params: unknown[]): Promise<T[]> =>
    database.dataSource.query(text, params) as Promise<T[]>;

  /** A WeChat-only user (REQUIRE_PHONE=false), or one with a phone as well. */
  async function wechatUser(withPhone: boolean): Promise<string> {
    subjects += 1;
    const verified = {
      provider: 'wechat' as const,
      appId: 'wx-unlink-spec',
      subject: `unlink-spec-${subjects}`,
      unionid: null,
      channel: null,
      profile: {},
    };
    const outcome = await database.transaction((m) => linking.signIn(m, verified, {}, meta));
    const userId = outcome.session!.user.id;
    if (withPhone) await query('UPDATE users SET phone = ? WHERE id = ?', [nextPhone('135'), userId]);
    return userId;
  }

  async function audit(userId: string): Promise<{ action: string; actor: string | null; details: unknown }[]> {
    const rows = await query<{ action: string; actor_user_id: string | null; details: string }>(
      "SELECT action, actor_user_id, details FROM audit_events WHERE subject_user_id = ? AND action LIKE '%unlink%'",
      [userId],
    );
    return rows.map((r) => ({ action: r.action, actor: r.actor_user_id, details: JSON.parse(r.details) }));
  }

  async function identities(userId: string): Promise<number> {
    const [row] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [userId]);
    return Number(row.n);
  }

  async function codeOf(work: Promise<unknown>): Promise<string> {
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }

  it('a user cannot remove their last way in: LAST_LOGIN_METHOD, nothing removed or audited', async () => {
    const userId = await wechatUser(false);
    expect(await codeOf(linking.unlink(userId, 'wechat', null, meta))).toBe('LAST_LOGIN_METHOD');
    expect(await identities(userId)).toBe(1);
    expect(await audit(userId)).toEqual([]);
  });

  it('a user with a phone unlinks WeChat: removed, one wechat.unlink row by the user', async () => {
    const userId = await wechatUser(true);
    const removed = await linking.unlink(userId, 'wechat', null, meta);
    expect(removed).toHaveLength(1);
    expect(await identities(userId)).toBe(0);
    expect(await audit(userId)).toEqual([
      { action: 'wechat.unlink', actor: userId, details: { identities: 1, appId: null } },
    ]);
  });

  it('an admin may take the last way in, and is audited as admin.unlink_wechat, even when nothing was there', async () => {
    const userId = await wechatUser(false);
    const admin = (await database.transaction((m) => t.app.get(UsersService).findOrCreateByPhone(m, nextPhone('135'))))
      .user.id;
    await linking.unlinkByAdmin(userId, 'wechat', admin, meta);
    await linking.unlinkByAdmin(userId, 'wechat', admin, meta);
    expect(await identities(userId)).toBe(0);
    const rows = await audit(userId);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        { action: 'admin.unlink_wechat', actor: admin, details: { identities: 1 } },
        { action: 'admin.unlink_wechat', actor: admin, details: { identities: 0 } },
      ]),
    );
  });

  it('unknown users: BAD_USER_INPUT for an admin, UNAUTHENTICATED for a caller', async () => {
    const nobody = '00000000-0000-7000-8000-000000000000';
    expect(await codeOf(linking.unlinkByAdmin(nobody, 'wechat', nobody, meta))).toBe('BAD_USER_INPUT');
    expect(await codeOf(linking.unlink(nobody, 'wechat', null, meta))).toBe('UNAUTHENTICATED');
  });
});
