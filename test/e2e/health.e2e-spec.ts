import { sendCode } from '../support/flows';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { ReadinessState } from '../../src/health/readiness.service';
import { RequestLoad } from '../../src/health/request-load';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Database } from '../../src/database/database.service';
import type { DatabaseSettings } from '../../src/config/app-config';

async function eventually(check: () => Promise<void>, attempts = 60): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await check();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('is live and ready with a reachable database', async () => {
    const live = await t.http().get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('needs no sign-in and never touches WeChat', async () => {
    await t.http().get('/health/ready');
    const wechatLines = t.logs.filter((line) => line.includes('FakeWechat'));
    expect(wechatLines).toEqual([]);
  });

  it('counts the requests in flight (what the refresh job yields to), down to zero when they end', async () => {
    const load = t.app.get(RequestLoad);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // A request whose body never finishes arriving stays in flight until its client goes away.
      const socket = connect(port, '127.0.0.1');
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      );
      for (let i = 0; i < 100 && load.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(load.inFlight).toBe(1);
      socket.destroy();
      for (let i = 0; i < 100 && load.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(load.inFlight).toBe(0);
      await t.http().get('/health/live');
      expect(load.inFlight).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Last in this block: the app stays draining afterwards.
  it('turns readiness red as shutdown begins, while liveness stays green', async () => {
    const readiness = t.app.get(ReadinessState);
    readiness.beforeApplicationShutdown();
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('shutting-down');
    expect((await t.http().get('/health/live')).status).toBe(200);
  });
});

describe('health when the database goes away and comes back', () => {
  it('readiness goes red, liveness stays green, and both recover on their own', async () => {
    const probe = await createTestDatabase();
    if (probe.dialect === 'sqlite') {
      // An embedded database cannot be cut off from outside; close it under the app instead.
      await probe.drop();
      const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
      try {
        await t.app.get(Database).dataSource.destroy();
        expect((await t.http().get('/health/ready')).status).toBe(503);
        expect((await t.http().get('/health/live')).status).toBe(200);
        const failed = await sendCode(t, '+8613812345670');
        expect(failed.body.errors![0].extensions).toEqual(
          expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
        );
        await t.app.get(Database).dataSource.initialize();
        expect((await t.http().get('/health/ready')).status).toBe(200);
      } finally {
        await t.close();
      }
      return;
    }

    // MySQL: run the app through a proxy that the test cuts and restores.
    const url = new URL(probe.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    const port = await proxy.start();
    url.host = `127.0.0.1:${port}`;
    const t = await startTestApp({
      override: (config) => ({
        ...config,
        database: {
          ...(config.database as Extract<DatabaseSettings, { type: 'mysql' }>),
          url: url.toString(),
          poolSize: 4,
        },
      }),
    });
    try {
      expect((await t.http().get('/health/ready')).status).toBe(200);
      proxy.cutOff();
      await eventually(async () => expect((await t.http().get('/health/ready')).status).toBe(503));
      expect((await t.http().get('/health/live')).status).toBe(200);
      // Requests that need the database fail fast and say so.
      const failed = await sendCode(t, '+8613812345671');
      expect(failed.body.errors![0].extensions).toEqual(
        expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
      );
      proxy.restore();
      await eventually(async () => expect((await t.http().get('/health/ready')).status).toBe(200));
      // And recover by themselves.
      await eventually(async () => expect((await sendCode(t, '+8613812345672')).body.errors).toBeUndefined());
    } finally {
      await t.close();
      await proxy.stop();
      await probe.drop();
    }
  });
});
