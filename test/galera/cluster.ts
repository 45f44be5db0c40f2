import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import { loadAppConfig, SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import type { TestApp } from '../support/test-app';

/**
 * The cross-node checks run against any MySQL-compatible multi-primary cluster:
 *   GALERA_URLS   comma-separated server URLs, one per node, without a database name
 *                 (mariadb://user:password@host:port or mysql://…); the user may create databases.
 *   GALERA_CONTROL a script that can `kill N` / `rejoin N` / `sql N "SQL"` node N (1-based, in
 *                 GALERA_URLS order); only the node-failure checks need it (scripts/galera-cluster.sh).
 */
export function nodeUrls(): string[] {
  const raw = process.env.GALERA_URLS;
  if (!raw) throw new Error('GALERA_URLS is not set (comma-separated server URLs, one per cluster node)');
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length < 2) throw new Error('GALERA_URLS needs at least two nodes');
  return urls;
}

export function control(...args: string[]): string {
  const script = process.env.GALERA_CONTROL;
  if (!script) throw new Error('GALERA_CONTROL is not set (the cluster control script)');
  return execFileSync(script, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  url.pathname = `/${name}`;
  return url.toString().replace(/^mysql:/, serverUrl.match(/^(mysql|mariadb):/)![1] + ':');
}

async function onServer<T>(
  serverUrl: string,
  work: (conn: Awaited<ReturnType<typeof createConnection>>) => Promise<T>,
) {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  url.pathname = '';
  const conn = await createConnection({ uri: url.toString(), connectTimeout: 3000 });
  try {
    return await work(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

export interface ClusterDatabase {
  name: string;
  /** DATABASE_URL of this database through node i (0-based). */
  url(node: number): string;
  drop(): Promise<void>;
}

/** A fresh database, created through node 1 (DDL replicates to every node). */
export async function freshDatabase(): Promise<ClusterDatabase> {
  const urls = nodeUrls();
  const name = `wl_galera_${randomBytes(5).toString('hex')}`;
  await onServer(urls[0], (c) =>
    c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
  );
  return {
    name,
    url: (node) => withDatabase(urls[node], name),
    drop: async () => {
      for (const server of urls) {
        try {
          await onServer(server, (c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
          return;
        } catch {
          // that node is down: try the next one
        }
      }
    },
  };
}

/** Rows of a query on one node of the cluster database. */
export async function queryNode<T = Record<string, unknown>>(
  db: ClusterDatabase,
  node: number,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const conn = await createConnection({ uri: db.url(node).replace(/^mariadb:/, 'mysql:'), connectTimeout: 3000 });
  try {
    // Read after every earlier commit of the cluster is applied here (Galera causality check).
    await conn.query('SET SESSION wsrep_sync_wait = 1').catch(() => undefined);
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  } finally {
    await conn.end().catch(() => undefined);
  }
}

const TABLES = [
  'users',
  'identities',
  'identity_conflicts',
  'wechat_app_tokens',
  'wechat_phone_calls',
  'wechat_grants',
  'login_states',
  'code_exchanges',
  'bind_tickets',
  'sms_codes',
  'sessions',
  'rate_limits',
  'audit_events',
  'migrations',
];

/** Every table has the same content on every given node (CHECKSUM TABLE); returns the differences. */
export async function compareNodes(db: ClusterDatabase, nodes: number[]): Promise<string[]> {
  const sums: Record<number, Record<string, string>> = {};
  for (const node of nodes) {
    const rows = await queryNode<{ Table: string; Checksum: string | number | null }>(
      db,
      node,
      `CHECKSUM TABLE ${TABLES.map((t) => `\`${t}\``).join(', ')}`,
    );
    sums[node] = Object.fromEntries(rows.map((r) => [r.Table.split('.').pop()!, String(r.Checksum)]));
  }
  const differences: string[] = [];
  for (const table of TABLES) {
    const values = nodes.map((n) => sums[n][table]);
    if (new Set(values).size > 1)
      differences.push(`${table}: ${nodes.map((n, i) => `node${n + 1}=${values[i]}`).join(' ')}`);
  }
  return differences;
}

export interface Instance extends TestApp {
  node: number;
}

let sharedDataDir: string | undefined;
afterAll(() => {
  if (sharedDataDir) rmSync(sharedDataDir, { recursive: true, force: true });
  sharedDataDir = undefined;
});

/** One service instance in this process, on the given node of the cluster database. */
export async function startInstance(
  db: ClusterDatabase,
  node: number,
  env: Record<string, string> = {},
): Promise<Instance> {
  // Every instance shares one data dir, hence one set of sandbox keys (token encryption, session
  // signing), as instances of one deployment share TOKEN_ENCRYPTION_KEYS and SESSION_SIGNING_KEY.
  sharedDataDir ??= mkdtempSync(join(tmpdir(), 'wl-galera-app-'));
  const dataDir = sharedDataDir;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadAppConfig(
    {
      DATA_DIR: dataDir,
      DATABASE_URL: db.url(node),
      DATABASE_POOL_SIZE: '12',
      LOG_LEVEL: 'info',
      GRAPHQL_SCHEMA_FILE: 'off',
      TOKEN_REFRESH_ENABLED: 'false',
      SMS_CONSOLE_LOG_CODES: 'false',
      ...env,
    },
    dataDir,
  );
  const app = await createApp(config, { logDestination: sink });
  const server = app.getHttpServer();
  return {
    node,
    app,
    config,
    dataDir,
    database: { url: db.url(node), dialect: 'mysql', drop: async () => undefined },
    logs,
    http: () => request(server),
    gql: async (query, variables, headers = {}) => {
      const res = await request(server)
        .post('/graphql')
        .set('content-type', 'application/json')
        .set(headers)
        .send({ query, variables });
      return { status: res.status, body: res.body, headers: res.headers as Record<string, string> };
    },
    close: async () => {
      await app.close();
    },
  };
}

/** A fake WeChat on its own port and the environment that points instances at it. */
export async function startFakeWechat(): Promise<{ fake: FakeWechatServer; env: Record<string, string> }> {
  const fake = new FakeWechatServer({ apps: [SANDBOX_WECHAT_APP] });
  const base = await fake.listen(0);
  return {
    fake,
    env: {
      WECHAT_API_BASE: base,
      WECHAT_APPS: `${SANDBOX_WECHAT_APP.appId}:${SANDBOX_WECHAT_APP.secret}`,
      // Generous: the CI machine is small and shared; a slow fake must not open the circuit.
      WECHAT_TIMEOUT_MS: '5000',
      WECHAT_BUDGET_MS: '15000',
    },
  };
}

/** Limits raised for load that all comes from 127.0.0.1 (one client IP for every virtual user). */
export const LOAD_ENV: Record<string, string> = {
  SMS_IP_PER_MINUTE: '1000000',
  SMS_IP_PER_HOUR: '1000000',
  THROTTLE_PUBLIC_PER_MINUTE: '1000000',
};

export async function eventually<T>(check: () => Promise<T>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const SANDBOX_APP = SANDBOX_WECHAT_APP;
