import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { gracefulShutdown } from '../../src/health/graceful-shutdown';
import { authorizeOnPhone, startWechatWorld, WECHAT_LOGIN, WechatWorld } from '../support/wechat';

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(port: number, agent: Agent, body: unknown): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** SIGTERM's sequence (what the signal handler runs), against a listening service with real sockets. */
describe('graceful shutdown', () => {
  const IN_FLIGHT = 6;
  let w: WechatWorld;

  afterAll(async () => {
    // The app is closed by the shutdown under test; the database and the fake remain.
    await w.t.database.drop();
    await w.fake.close();
  });

  it('readiness goes red first, in-flight requests all finish, keep-alive connections close, exit code 0', async () => {
    w = await startWechatWorld({ SHUTDOWN_DRAIN_MS: '3000', WECHAT_TIMEOUT_MS: '10000', WECHAT_BUDGET_MS: '20000' });
    await w.t.app.listen(0, '127.0.0.1');
    const port = (w.t.app.getHttpServer().address() as AddressInfo).port;
    const keepAlive = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

    const codes = [];
    for (let i = 0; i < IN_FLIGHT; i++) {
      codes.push(await authorizeOnPhone(w, { person: `drain-${i}`, deviceId: `device-${i}` }));
    }
    // WeChat answers userinfo slowly: every login is held in flight across the signal. Delay and drain
    // leave seconds of slack, so that a stalled machine still sees the logins in flight during the drain.
    w.fake.addFault({ endpoint: 'userinfo', delayMs: 4000, times: IN_FLIGHT });
    const logins = codes.map((code, i) =>
      post(port, keepAlive, {
        query: WECHAT_LOGIN,
        variables: {
          input: { code: code.code, state: code.state, deviceId: `device-${i}`, appId: SANDBOX_WECHAT_APP.appId },
        },
      }),
    );
    for (let i = 0; i < 1000 && w.fake.calls('access_token').length < IN_FLIGHT; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(w.fake.calls('access_token')).toHaveLength(IN_FLIGHT);

    const shutdown = gracefulShutdown(w.t.app, { drainMs: w.t.config.shutdownDrainMs });
    // During the drain the listener still answers, and readiness says no.
    expect(await get(port, '/health/ready')).toBe(503);
    expect(await get(port, '/health/live')).toBe(200);

    const answers = await Promise.all(logins);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { data?: { wechatLogin: { isBind: boolean } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data?.wechatLogin.isBind).toBe(false);
      expect(answer.headers.connection).toBe('close');
    }
    expect(await shutdown).toBe(0);
    // Closed for good: no new connection is accepted.
    await expect(get(port, '/health/live')).rejects.toThrow(/ECONNREFUSED/);
    keepAlive.destroy();
  });
});
