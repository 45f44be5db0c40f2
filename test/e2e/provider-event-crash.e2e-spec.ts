import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/test-database';

// The built service (node dist/src/main.js, sandbox mode, its own port, data dir and database) stores
// an Apple notification, answers 200, and is killed with SIGKILL before applying it
// (PROVIDER_EVENTS_APPLY_ON_RECEIPT=false keeps it from applying on receipt); started again, its
// start-up sweep applies the event.

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'dist/src/main.js');
jest.setTimeout(180_000);

let db: TestDatabase;
let dataDir: string;
let port: number;
let child: ChildProcess | null = null;
let output = '';

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => done(free));
    });
  });
}

const base = () => `http://127.0.0.1:${port}`;

async function start(): Promise<void> {
  output = '';
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      GRAPHQL_SCHEMA_FILE: 'off',
      REQUIRE_PHONE: 'false',
      SMS_CONSOLE_LOG_CODES: 'false',
      SHUTDOWN_DRAIN_MS: '200',
      TOKEN_REFRESH_ENABLED: 'false',
      PROVIDER_EVENTS_APPLY_ON_RECEIPT: 'false',
      // Only the start-up sweep runs within this test.
      PROVIDER_EVENTS_SWEEP_SECONDS: '3600',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`the service exited (${proc.exitCode}):\n${output}`);
    const ready = await fetch(`${base()}/health/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the service did not become ready:\n${output}`);
}

async function kill(signal: NodeJS.Signals): Promise<void> {
  const proc = child;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((done) => proc.once('exit', done));
  proc.kill(signal);
  await exited;
  child = null;
}

async function call<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function rows<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, GRAPHQL_SCHEMA_FILE: 'off' });
  const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    return (await ds.query(text, params)) as T[];
  } finally {
    await ds.destroy();
  }
}

beforeAll(async () => {
  if (!existsSync(MAIN)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'wl-crash-'));
  port = await freePort();
});

afterAll(async () => {
  await kill('SIGTERM');
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('an event stored right before a SIGKILL is applied after the restart', async () => {
  await start();
  const rawNonce = 'crash-nonce';
  const approved = await call<{ identityToken: string; authorizationCode: string; sub: string }>(
    '/sandbox/apple/authorize',
    { person: 'crash-person', nonce: createHash('sha256').update(rawNonce).digest('hex') },
  );
  const login = await call<{ data: { appleLogin: { session: { user: { id: string } } } } }>('/graphql', {
    query: 'mutation A($i: AppleLoginInput!) { appleLogin(input: $i) { session { user { id } } } }',
    variables: {
      i: {
        identityToken: approved.body.identityToken,
        authorizationCode: approved.body.authorizationCode,
        nonce: rawNonce,
      },
    },
  });
  const userId = login.body.data.appleLogin.session.user.id;
  const { body } = await call<{ payload: string }>('/sandbox/apple/notification', {
    person: 'crash-person',
    type: 'consent-revoked',
  });
  expect((await call('/providers/apple/notifications', { payload: body.payload })).status).toBe(200);

  // Stored, not applied: then the process dies without a chance to do anything more.
  const stored = await rows<{ applied_at: unknown }>("SELECT applied_at FROM provider_events WHERE provider = 'apple'");
  expect(stored).toEqual([{ applied_at: null }]);
  await kill('SIGKILL');
  expect(await rows('SELECT id FROM identities WHERE user_id = ?', [userId])).toHaveLength(1);

  await start();
  let applied: { outcome: string | null }[] = [];
  for (let i = 0; i < 100 && applied[0]?.outcome !== 'applied'; i++) {
    applied = await rows("SELECT outcome FROM provider_events WHERE provider = 'apple'");
    if (applied[0]?.outcome !== 'applied') await new Promise((done) => setTimeout(done, 100));
  }
  expect(applied).toEqual([{ outcome: 'applied' }]);
  expect(await rows('SELECT id FROM identities WHERE user_id = ?', [userId])).toEqual([]);
  const sessions = await rows<{ revoked_reason: string | null }>(
    'SELECT revoked_reason FROM sessions WHERE user_id = ?',
    [userId],
  );
  expect(sessions.map((s) => s.revoked_reason)).toEqual(['apple-withdrawn']);
});
