import type { AddressInfo } from 'node:net';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { Database } from '../../src/database/database.service';
import { ReadinessState } from '../../src/health/readiness.service';
import { errorCode, loginWithPhone, nextPhone } from '../support/flows';
import { CONFIRM_QR, onApp, pollQr, SCAN_QR, startQr } from '../support/qr-login';
import { startTestApp, TestApp } from '../support/test-app';

const WATCH = `subscription Watch($id: ID!, $pollToken: String!) { qrLoginStatus(id: $id, pollToken: $pollToken) }`;
type Watched = ExecutionResult<{ qrLoginStatus: string }, unknown>;

async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/graphql/stream`;
}

/** Reads the stream until it ends, calling `onStatus` for each status as it arrives. */
async function watch(
  url: string,
  variables: Record<string, unknown>,
  onStatus: (status: string) => Promise<void> = async () => undefined,
): Promise<Watched[]> {
  const client = createClient({ url, retryAttempts: 0 });
  const results: Watched[] = [];
  try {
    for await (const result of client.iterate<{ qrLoginStatus: string }>({ query: WATCH, variables })) {
      results.push(result);
      if (result.data?.qrLoginStatus) await onStatus(result.data.qrLoginStatus);
    }
  } finally {
    client.dispose();
  }
  return results;
}

const statuses = (results: Watched[]) => results.map((r) => r.data?.qrLoginStatus ?? r.errors?.[0]?.extensions);

describe('QR login status over SSE (graphql-sse)', () => {
  let a: TestApp;
  let b: TestApp;
  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    const env = { QR_LOGIN_STREAM_INTERVAL_MS: '100' };
    a = await startTestApp({ env });
    b = await startTestApp({ env, override: (c) => ({ ...a.config, dataDir: c.dataDir }) });
    urlA = await listen(a);
    urlB = await listen(b);
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a page watching on one instance sees each step taken through another, then collects the session once by query', async () => {
    const user = await loginWithPhone(a, nextPhone());
    const qr = await startQr(a);
    const results = await watch(urlB, { id: qr.id, pollToken: qr.pollToken }, async (status) => {
      if (status === 'PENDING') await onApp(a, SCAN_QR, qr.qrContent, user.accessToken);
      if (status === 'SCANNED') await onApp(a, CONFIRM_QR, qr.qrContent, user.accessToken);
    });
    // The stream never carries the session: it ends at CONFIRMED and the page asks for it.
    expect(statuses(results)).toEqual(['PENDING', 'SCANNED', 'CONFIRMED']);
    expect(JSON.stringify(results)).not.toContain('accessToken');
    const collected = (await pollQr(b, qr.id, qr.pollToken)).body.data?.qrLoginStatus;
    expect(collected?.session?.user.id).toBe(user.userId);
    expect((await pollQr(a, qr.id, qr.pollToken)).body.data?.qrLoginStatus.session).toBeNull();
  });

  it('an instance draining for shutdown ends its open streams (the page reconnects to another)', async () => {
    const c = await startTestApp({ override: (cfg) => ({ ...a.config, dataDir: cfg.dataDir }) });
    const urlC = await listen(c);
    const qr = await startQr(a);
    // SIGTERM's first step (gracefulShutdown): readiness red; the stream ends cleanly at its next tick.
    const results = await watch(urlC, { id: qr.id, pollToken: qr.pollToken }, async (status) => {
      if (status === 'PENDING') c.app.get(ReadinessState).startDraining();
    });
    await c.close();
    expect(statuses(results)).toEqual(['PENDING']);
    // Nothing happened to the login: another instance's stream picks it up.
    const again = await watch(urlA, { id: qr.id, pollToken: qr.pollToken }, async () => {
      await a.http().post('/sandbox/clock').send({ advanceSeconds: 121 });
    });
    expect(statuses(again)).toEqual(['PENDING', 'EXPIRED']);
  });

  it('ends with EXPIRED when the sandbox clock passes the expiry', async () => {
    const qr = await startQr(a);
    const results = await watch(urlA, { id: qr.id, pollToken: qr.pollToken }, async (status) => {
      if (status === 'PENDING') await a.http().post('/sandbox/clock').send({ advanceSeconds: 121 });
    });
    expect(statuses(results)).toEqual(['PENDING', 'EXPIRED']);
  });

  it('a wrong pollToken (the QR content) gets QR_LOGIN_INVALID and no status', async () => {
    const qr = await startQr(a);
    const results = await watch(urlA, { id: qr.id, pollToken: qr.qrContent });
    expect(results).toHaveLength(1);
    expect(results[0].data ?? null).toBeNull();
    expect(results[0].errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'QR_LOGIN_INVALID' }));
    expect(JSON.stringify(results)).not.toContain(qr.qrContent);
  });

  it('serves subscriptions only: a query or mutation over the stream is refused and changes nothing', async () => {
    for (const query of ['{ loginOptions(platform: WEB) { methods } }', 'mutation { startQrLogin { id } }']) {
      const res = await a
        .http()
        .post('/graphql/stream')
        .set('accept', 'text/event-stream')
        .set('content-type', 'application/json')
        .send({ query });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    const rows = await a.app.get(Database).sql.rows<{ n: number }>('SELECT COUNT(*) AS n FROM qr_logins');
    const before = Number(rows[0].n);
    await a
      .http()
      .post('/graphql/stream')
      .set('accept', 'text/event-stream')
      .set('content-type', 'application/json')
      .send({ query: 'mutation { startQrLogin { id } }' });
    const after = await a.app.get(Database).sql.rows<{ n: number }>('SELECT COUNT(*) AS n FROM qr_logins');
    expect(Number(after[0].n)).toBe(before);
  });

  it('the subscription sent to /graphql is answered BAD_USER_INPUT, naming the SSE endpoint', async () => {
    const res = await a.gql(WATCH, { id: 'x', pollToken: 'y' });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain('/graphql/stream');
  });
});
