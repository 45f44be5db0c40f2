import { Database } from '../../src/database/database.service';
import { FakeFault } from '../../src/sandbox/fake-wechat/fake-wechat';
import { CIRCUIT_FAILURE_THRESHOLD } from '../../src/wechat/wechat-api.client';
import { errorCode } from '../support/flows';
import { authorizeOnPhone, SHORT_WECHAT, startWechatWorld, wechatLogin, WechatWorld } from '../support/wechat';

// Network conditions × failure handling: every fault the fake can inject, and every errcode of
// WeChat's documentation, as the mobile client sees them. Each test gets its own service and fake,
// so one test's failures never open another's circuit.

const ERRCODES: [number, string][] = [
  [-1, 'WECHAT_UNAVAILABLE'],
  [40001, 'REAUTH_REQUIRED'],
  [40002, 'WECHAT_CONFIG_ERROR'],
  [40003, 'REAUTH_REQUIRED'],
  [40013, 'WECHAT_CONFIG_ERROR'],
  [40014, 'REAUTH_REQUIRED'],
  [40029, 'WECHAT_CODE_INVALID'],
  [40030, 'REAUTH_REQUIRED'],
  [40125, 'WECHAT_CONFIG_ERROR'],
  [40163, 'WECHAT_CODE_INVALID'],
  [41001, 'WECHAT_CONFIG_ERROR'],
  [41002, 'WECHAT_CONFIG_ERROR'],
  [41003, 'WECHAT_CONFIG_ERROR'],
  [41004, 'WECHAT_CONFIG_ERROR'],
  [41008, 'WECHAT_CODE_INVALID'],
  [41009, 'WECHAT_CONFIG_ERROR'],
  [42001, 'REAUTH_REQUIRED'],
  [42002, 'REAUTH_REQUIRED'],
  [42003, 'WECHAT_CODE_INVALID'],
  [42007, 'REAUTH_REQUIRED'],
  [45009, 'WECHAT_RATE_LIMITED'],
  [45011, 'WECHAT_RATE_LIMITED'],
  [48001, 'WECHAT_CONFIG_ERROR'],
  [50001, 'WECHAT_CONFIG_ERROR'],
];

const RETRYABLE = new Set(['WECHAT_UNAVAILABLE', 'WECHAT_RATE_LIMITED']);

describe('WeChat faults', () => {
  let w: WechatWorld;

  beforeEach(async () => {
    w = await startWechatWorld();
  });

  afterEach(async () => {
    await w.close();
  });

  const rows = async (): Promise<Record<string, number>> => {
    const ds = w.t.app.get(Database).dataSource;
    const out: Record<string, number> = {};
    for (const table of ['users', 'identities', 'wechat_grants', 'sessions', 'bind_tickets']) {
      const [row] = (await ds.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
      out[table] = Number(row.n);
    }
    return out;
  };
  const NOTHING = { users: 0, identities: 0, wechat_grants: 0, sessions: 0, bind_tickets: 0 };

  const loginWithFault = async (fault: Omit<FakeFault, 'times'> & { times?: number }) => {
    const auth = await authorizeOnPhone(w, { person: 'faulty' });
    w.fake.addFault({ times: 1, ...fault });
    const res = await wechatLogin(w, { code: auth.code, state: auth.state });
    return { res, auth };
  };

  describe('failure handling: every errcode reaches the client as its ErrorCode', () => {
    it.each(ERRCODES)('errcode %i → %s', async (errcode, expected) => {
      const { res } = await loginWithFault({ endpoint: 'access_token', errcode });
      const error = res.body.errors![0];
      expect(error.extensions).toEqual(
        expect.objectContaining({
          code: expected,
          wechatErrcode: errcode,
          ...(RETRYABLE.has(expected) ? { retryable: true } : {}),
        }),
      );
      if (!RETRYABLE.has(expected)) expect(error.extensions!.retryable).toBeUndefined();
      // WeChat's errmsg (with its rid) never reaches the client.
      expect(JSON.stringify(res.body)).not.toMatch(/rid:|errmsg/);
      expect(await rows()).toEqual(NOTHING);
    });
  });

  describe('network conditions', () => {
    it('-1 on the code exchange: WECHAT_UNAVAILABLE, and the exchange is not retried', async () => {
      const { res } = await loginWithFault({ endpoint: 'access_token', errcode: -1 });
      expect(res.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'WECHAT_UNAVAILABLE', retryable: true, wechatErrcode: -1 }),
      );
      expect(w.fake.calls('access_token')).toHaveLength(1);
    });

    it('after -1 the code is gone at WeChat: the same device retrying gets WECHAT_CODE_INVALID (40163)', async () => {
      const { auth } = await loginWithFault({ endpoint: 'access_token', errcode: -1 });
      const retry = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(retry.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'WECHAT_CODE_INVALID', wechatErrcode: 40163 }),
      );
    });

    it('45011 on the code exchange: WECHAT_RATE_LIMITED, retryable', async () => {
      const { res } = await loginWithFault({ endpoint: 'access_token', errcode: 45011 });
      expect(res.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'WECHAT_RATE_LIMITED', retryable: true }),
      );
    });

    it('HTTP 502 on the code exchange: WECHAT_UNAVAILABLE; the same device may retry the same code and succeed', async () => {
      const { res, auth } = await loginWithFault({ endpoint: 'access_token', httpStatus: 502 });
      expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      expect(w.fake.calls('access_token')).toHaveLength(1);
      const retry = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(retry.body.data!.wechatLogin.isBind).toBe(false);
    });

    it('a WeChat that hangs is cut off within the budget and leaves no user, identity or session rows', async () => {
      await w.close();
      w = await startWechatWorld(SHORT_WECHAT);
      const { res } = await loginWithFault({ endpoint: 'access_token', delayMs: 60_000 });
      expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      expect(await rows()).toEqual(NOTHING);
    });

    it('a hanging userinfo is retried, then cut off; nothing is stored', async () => {
      await w.close();
      w = await startWechatWorld(SHORT_WECHAT);
      const { res } = await loginWithFault({ endpoint: 'userinfo', delayMs: 60_000, times: 5 });
      expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      expect(w.fake.calls('userinfo').length).toBeLessThanOrEqual(3);
      expect(await rows()).toEqual(NOTHING);
    });

    it('a userinfo failure after a good exchange keeps its tokens: the retry of the code succeeds without a new exchange', async () => {
      const auth = await authorizeOnPhone(w, { person: 'kept-exchange' });
      w.fake.addFault({ endpoint: 'userinfo', httpStatus: 503, times: 3 });
      const first = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(first.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'WECHAT_UNAVAILABLE', retryable: true }),
      );
      const [kept] = (await w.t.app
        .get(Database)
        .dataSource.query('SELECT status, result_enc FROM code_exchanges')) as {
        status: string;
        result_enc: string | null;
      }[];
      expect(kept.status).toBe('failed');
      expect(kept.result_enc).toBeTruthy();
      expect(kept.result_enc).not.toContain(auth.code);
      const retry = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(retry.body.errors).toBeUndefined();
      expect(retry.body.data!.wechatLogin.wechatProfile.openid).toBe(auth.openid);
      // One exchange in all: the retry used the kept tokens (a second exchange would have answered 40163).
      expect(w.fake.calls('access_token')).toHaveLength(1);
      const [done] = (await w.t.app.get(Database).dataSource.query('SELECT status FROM code_exchanges')) as {
        status: string;
      }[];
      expect(done.status).toBe('done');
    });

    it('a dropped connection: WECHAT_UNAVAILABLE', async () => {
      const { res } = await loginWithFault({ endpoint: 'access_token', drop: true });
      expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      expect(await rows()).toEqual(NOTHING);
    });

    it('a malformed body: WECHAT_UNAVAILABLE', async () => {
      const { res } = await loginWithFault({ endpoint: 'access_token', malformed: true });
      expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
    });

    it('text/plain answers are parsed all the same', async () => {
      w.fake.configure({ contentType: 'text/plain', scopeTrailingComma: true, sexAsString: true });
      const auth = await authorizeOnPhone(w, { person: 'plain' });
      const res = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(res.body.data!.wechatLogin.wechatProfile.openid).toBe(auth.openid);
    });

    it('-1, 5xx and a dropped connection on userinfo are retried and the login succeeds', async () => {
      const auth = await authorizeOnPhone(w, { person: 'retried' });
      w.fake.addFault({ endpoint: 'userinfo', errcode: -1, times: 1 });
      w.fake.addFault({ endpoint: 'userinfo', httpStatus: 503, times: 1 });
      const res = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(res.body.errors).toBeUndefined();
      expect(w.fake.calls('userinfo').map((c) => c.result)).toEqual(['errcode:-1', 'fault:http503', 'ok']);
      expect(w.fake.calls('access_token')).toHaveLength(1);
    });

    it('a failing WeChat opens the circuit: later logins fail fast without calling WeChat', async () => {
      for (let i = 0; i < CIRCUIT_FAILURE_THRESHOLD; i++) {
        const { res } = await loginWithFault({ endpoint: 'access_token', httpStatus: 500 });
        expect(errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      }
      w.fake.clearCalls();
      const auth = await authorizeOnPhone(w, { person: 'after-the-storm' });
      const res = await wechatLogin(w, { code: auth.code, state: auth.state });
      expect(res.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'WECHAT_UNAVAILABLE', retryable: true }),
      );
      expect(w.fake.calls()).toEqual([]);
    });
  });
});
