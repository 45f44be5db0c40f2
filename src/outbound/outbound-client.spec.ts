import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OutboundCallEvent, OutboundClient } from './outbound-client';
import { CIRCUIT_FAILURE_THRESHOLD } from './outbound-policies';
import { ProviderNotSentError, ProviderUnavailableError } from './provider-call-error';

// The kit against a real HTTP server on a local port: no mock of undici.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
const sockets = new Set<number>();
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    sockets.add(req.socket.remotePort ?? 0);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let client: OutboundClient;
let events: OutboundCallEvent[];

beforeEach(() => {
  seen.length = 0;
  sockets.clear();
  handler = (_req, res) => res.end('{"ok":true}');
  client = new OutboundClient({ name: 'OutboundSpec', timeoutMs: 2000, budgetMs: 10_000 });
  events = [];
  client.onCall = (event) => events.push(event);
});

afterEach(() => client.close());

const apple = { provider: 'apple' as const, app: 'a1' };
const get = (path: string, signal: AbortSignal) =>
  client.send('apple', 'probe', { method: 'GET', url: `${base}${path}` }, signal);
const failing = (signal: AbortSignal) =>
  get('/down', signal).then(({ status }) => {
    throw new ProviderUnavailableError('apple', 'http', String(status));
  });

it('sends a form on a kept-alive connection and answers status and text', async () => {
  handler = (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => res.end(JSON.stringify({ type: req.headers['content-type'], body })));
  };
  const answers = [];
  for (let i = 0; i < 4; i++) {
    answers.push(
      await client.run(apple, 'once', (signal) =>
        client.send('apple', 'token', { method: 'POST', url: `${base}/t`, form: { code: `c${i}` } }, signal),
      ),
    );
  }
  expect(answers.map((a) => [a.status, JSON.parse(a.text)])).toEqual(
    [0, 1, 2, 3].map((i) => [200, { type: 'application/x-www-form-urlencoded', body: `code=c${i}` }]),
  );
  // Connections are kept and reused (undici's pool may hold a second one while the first settles).
  expect(sockets.size).toBeLessThan(answers.length);
});

it('caches one policy per provider, app and kind, and one breaker per provider and app', () => {
  const policies = (client as unknown as { policies: { policyFor(t: unknown, k: string): unknown } }).policies;
  expect(policies.policyFor(apple, 'safe')).toBe(policies.policyFor({ ...apple }, 'safe'));
  expect(policies.policyFor(apple, 'safe')).not.toBe(policies.policyFor(apple, 'once'));
  expect(policies.policyFor(apple, 'safe')).not.toBe(policies.policyFor({ provider: 'apple', app: 'a2' }, 'safe'));
  expect(policies.policyFor(apple, 'safe')).not.toBe(policies.policyFor({ provider: 'huawei', app: 'a1' }, 'safe'));
});

it('opens the breaker of one provider and app only, for both kinds of call, and then sends nothing', async () => {
  handler = (_req, res) => res.writeHead(503).end();
  for (let i = 0; i < CIRCUIT_FAILURE_THRESHOLD; i++) {
    await expect(client.run(apple, 'once', failing)).rejects.toMatchObject({ reason: 'http' });
  }
  expect(seen).toHaveLength(CIRCUIT_FAILURE_THRESHOLD);
  expect(client.circuitState(apple)).toBe('open');
  await expect(client.run(apple, 'safe', failing)).rejects.toMatchObject({ reason: 'circuit-open' });
  expect(seen).toHaveLength(CIRCUIT_FAILURE_THRESHOLD);
  expect(client.circuitState({ provider: 'apple', app: 'a2' })).toBe('closed');
  expect(client.circuitState({ provider: 'huawei', app: 'a1' })).toBe('closed');
  handler = (_req, res) => res.end('{}');
  await expect(client.run({ provider: 'apple', app: 'a2' }, 'once', (s) => get('/up', s))).resolves.toMatchObject({
    status: 200,
  });
});

it('a local error before sending (URIError) is "not sent", never retried, and never opens the breaker', async () => {
  let attempts = 0;
  for (let i = 0; i < CIRCUIT_FAILURE_THRESHOLD * 2; i++) {
    const error = await client
      .run(apple, 'safe', async () => {
        attempts++;
        decodeURIComponent('%');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotSentError);
    expect(error).toMatchObject({ kind: 'local', detail: 'URIError', notSent: true, providerFailing: false });
  }
  expect(attempts).toBe(CIRCUIT_FAILURE_THRESHOLD * 2);
  expect(client.circuitState(apple)).toBe('closed');
  expect(seen).toEqual([]);
});

it('undici refusing a bad header is "not sent" too, reported as not_sent_local', async () => {
  const error = await client
    .run(apple, 'safe', (signal) =>
      client.send('apple', 'probe', { method: 'GET', url: `${base}/x`, headers: { 'x-bad': 'a\nb' } }, signal),
    )
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ kind: 'local', providerFailing: false });
  expect(events.map((e) => e.outcome)).toEqual(['not_sent_local']);
  expect(seen).toEqual([]);
  expect(client.circuitState(apple)).toBe('closed');
});

it('retries a safe call on a 503 (three tries in all), a single-use call never', async () => {
  handler = (_req, res) => res.writeHead(503).end();
  await expect(client.run(apple, 'safe', failing)).rejects.toMatchObject({ reason: 'http' });
  expect(seen).toHaveLength(3);
  seen.length = 0;
  await expect(client.run({ provider: 'apple', app: 'a3' }, 'once', failing)).rejects.toMatchObject({ reason: 'http' });
  expect(seen).toHaveLength(1);
});

it('retries a single-use call that provably never left (connection refused)', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  let attempts = 0;
  const error = await client
    .run(apple, 'once', (signal) => {
      attempts++;
      return client.send('apple', 'token', { method: 'GET', url: `http://127.0.0.1:${port}/` }, signal);
    })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ reason: 'connect' });
  expect(attempts).toBe(3);
  expect(events.map((e) => e.outcome)).toEqual(['connect', 'connect', 'connect']);
});

it('the per-call timeout fires although a garbage collection ran while waiting', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const held: ServerResponse[] = [];
  handler = (_req, res) => held.push(res);
  const quick = new OutboundClient({ name: 'OutboundSpec', timeoutMs: 100, budgetMs: 20_000 });
  try {
    const calls = Array.from({ length: 5 }, () =>
      quick
        .run({ provider: 'qq', app: '' }, 'once', (s) =>
          quick.send('qq', 'me', { method: 'GET', url: `${base}/slow` }, s),
        )
        .catch((e: unknown) => e),
    );
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect((await Promise.all(calls)).map((e) => (e as ProviderUnavailableError).reason)).toEqual(
      Array(5).fill('timeout'),
    );
  } finally {
    held.forEach((res) => res.destroy());
    await quick.close();
  }
});

it('the budget ends the whole operation, retries included', async () => {
  const held: ServerResponse[] = [];
  handler = (_req, res) => held.push(res);
  const tight = new OutboundClient({ name: 'OutboundSpec', timeoutMs: 10_000, budgetMs: 200 });
  try {
    await expect(
      tight.run(apple, 'safe', (s) => tight.send('apple', 'probe', { method: 'GET', url: `${base}/held` }, s)),
    ).rejects.toMatchObject({ reason: 'budget' });
  } finally {
    held.forEach((res) => res.destroy());
    await tight.close();
  }
});
