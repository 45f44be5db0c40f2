// What bench/memory.mjs and bench/startup.mjs share: child processes each in their own process group
// (stopped through that group only), free ports, waiting for readiness, a fresh MariaDB database
// (dropped at the end), an HTTPS front with a throw-away certificate before the standalone fake
// WeChat (production refuses an http WECHAT_API_BASE), and an SMS webhook receiver. Everything
// listens on 127.0.0.1 only. Expects `npm run build` (nothing is built here).
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((x, y) => x - y);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A scratch folder, its processes and its databases; `close()` undoes all of it. */
export class Stack {
  constructor(name) {
    this.work = mkdtempSync(join(tmpdir(), `${name}-`));
    this.children = new Set();
    this.servers = [];
    this.databases = [];
    this.root = null;
    this.closing = null;
  }

  /** `node args...` in a new process group, output to <work>/<name>.log. */
  start(name, args, { env, cwd = ROOT, nodeArgs = [] } = {}) {
    if (this.closing) throw new Error('stopping: nothing more is started');
    const logFile = join(this.work, `${name}.log`);
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.name = name;
    child.logFile = logFile;
    child.ended = false;
    const out = [];
    const keep = (c) => { out.push(c); if (out.length > 400) out.splice(0, 200); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.tail = () => Buffer.concat(out).toString('utf8').split('\n').slice(-20).join('\n');
    this.children.add(child);
    child.once('close', () => { child.ended = true; this.children.delete(child); });
    return child;
  }

  async stop(child, ms = 5000) {
    if (!child || child.ended) return;
    const gone = new Promise((r) => child.once('close', r));
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, ms);
    await gone;
    clearTimeout(t);
  }

  async mysql() {
    if (!this.root) {
      const mysql = createRequire(join(ROOT, 'package.json'))('mysql2/promise');
      this.root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    }
    return this.root;
  }

  async createDatabase(prefix) {
    const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
    const root = await this.mysql();
    await root.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    this.databases.push(name);
    return name;
  }

  /** Stops and drops everything; the scratch folder stays only when keepWork. */
  close(keepWork = false) {
    this.closing ??= (async () => {
      await Promise.all([...this.children].map((c) => this.stop(c)));
      for (const s of this.servers) { s.close(); s.closeAllConnections?.(); }
      if (this.root) {
        for (const db of this.databases) await this.root.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => {});
        await this.root.end().catch(() => {});
      }
      if (!keepWork) rmSync(this.work, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** Stops everything on Ctrl-C / SIGTERM, then exits 130. */
  stopOnSignals(log = console.error) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => { log(`${sig}: stopping`); this.close().finally(() => process.exit(130)); });
    }
  }

  listen(server) {
    this.servers.push(server);
    return new Promise((res, rej) => {
      server.once('error', rej);
      server.listen(0, '127.0.0.1', () => res(server.address().port));
    });
  }

  /**
   * The standalone fake WeChat (its documented command), behind an HTTPS front whose self-signed
   * certificate is written to <work>/wechat-ca.pem (give it to the service as NODE_EXTRA_CA_CERTS).
   * `app` is one {id, secret} or a list; an id may carry its channel (`mini_program:wx…`).
   */
  async fakeWechat(app) {
    const port = await freePort();
    const apps = (Array.isArray(app) ? app : [app]).flatMap((a) => ['--app', `${a.id}:${a.secret}`]);
    const fake = this.start('fake-wechat', ['dist/src/sandbox/fake-wechat/main.js', '--port', String(port), ...apps],
      { env: baseEnv() });
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/settings`, fake, 30000);
    const front = await this.httpsFront(port);
    return { url, httpsUrl: front.url, caFile: front.caFile, child: fake };
  }

  /**
   * The standalone fake carrier API (Dypnsapi GetMobile) with this AccessKey pair, behind an HTTPS
   * front (production refuses an http CARRIER_ENDPOINT); the same CA file as fakeWechat's.
   */
  async fakeCarrier(accessKeyId, accessKeySecret) {
    const port = await freePort();
    const fake = this.start('fake-carrier', ['dist/src/sandbox/carrier/main.js', '--port', String(port),
      '--access-key-id', accessKeyId, '--access-key-secret', accessKeySecret], { env: baseEnv() });
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/calls`, fake, 30000);
    // The SDK signs the Host header: the front passes it through unchanged.
    const front = await this.httpsFront(port, { keepHost: true });
    return { url, httpsUrl: front.url, caFile: front.caFile, child: fake };
  }

  /** An HTTPS front before http://127.0.0.1:port, with this stack's one throw-away certificate. */
  async httpsFront(port, { keepHost = false } = {}) {
    if (!this.tls) {
      this.tls = selfSigned(this.work);
      this.tls.caFile = join(this.work, 'wechat-ca.pem');
      writeFileSync(this.tls.caFile, this.tls.cert);
    }
    const { cert, key, caFile } = this.tls;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
    const front = https.createServer({ cert, key }, (req, res) => {
      const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, agent,
        headers: keepHost ? req.headers : { ...req.headers, host: `127.0.0.1:${port}` } },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
      up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(up);
    });
    front.keepAliveTimeout = 5000;
    const tlsPort = await this.listen(front);
    return { url: `https://127.0.0.1:${tlsPort}`, caFile };
  }

  /**
   * The documented SMS webhook's other end: checks X-Signature (HMAC-SHA256 of `${X-Timestamp}.${body}`)
   * and keeps the latest code per phone for `take(phone)`. Counts what it saw.
   */
  async smsReceiver(secret) {
    const codes = new Map();
    const waiters = new Map();
    const stats = { received: 0, badSignature: 0 };
    const key = (p) => String(p ?? '').replace(/\D/g, '').slice(-11);
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        stats.received++;
        const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${req.headers['x-timestamp']}.${body}`).digest('hex')}`);
        const got = Buffer.from(String(req.headers['x-signature'] ?? ''));
        if (got.length !== want.length || !timingSafeEqual(got, want)) stats.badSignature++;
        try {
          const m = JSON.parse(body);
          const k = key(m.phone);
          const w = waiters.get(k);
          if (w) { waiters.delete(k); w(String(m.code)); } else codes.set(k, String(m.code));
        } catch {}
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    server.keepAliveTimeout = 60000;
    const port = await this.listen(server);
    const take = (phone, ms = 5000) => {
      const k = key(phone);
      if (codes.has(k)) { const c = codes.get(k); codes.delete(k); return Promise.resolve(c); }
      return new Promise((res, rej) => {
        const t = setTimeout(() => { waiters.delete(k); rej(new Error('no SMS code')); }, ms);
        waiters.set(k, (c) => { clearTimeout(t); res(c); });
      });
    };
    return { url: `http://127.0.0.1:${port}/sms`, take, stats };
  }
}

function selfSigned(work) {
  const dir = mkdtempSync(join(work, 'tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert: readFileSync(join(dir, 'c.pem')), key: readFileSync(join(dir, 'k.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const freePort = () => new Promise((res, rej) => {
  const s = createServer();
  s.unref();
  s.on('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

export const baseEnv = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? 'C.UTF-8' });

/** Polls url until a 200 (resolves with ms waited); fails when the child exits or after timeoutMs. */
export async function waitHttp(url, child, timeoutMs = 60000, everyMs = 100) {
  const t0 = performance.now();
  for (;;) {
    if (child.ended) throw new Error(`${child.name} exited (${child.exitCode}):\n${child.tail()}`);
    const ok = await new Promise((r) => {
      const q = http.get(url, (res) => { res.resume(); res.on('end', () => r(res.statusCode === 200)); });
      q.on('error', () => r(false));
      q.setTimeout(2000, () => q.destroy());
    });
    if (ok) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${child.name} not ready at ${url}:\n${child.tail()}`);
    await sleep(everyMs);
  }
}

/** Fresh production secrets: an AES-256 key and an ES256 signing key. */
export function freshKeys() {
  return {
    TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SESSION_SIGNING_KEY: Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('base64'),
  };
}

let HZ = 100;
try { HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch {}
/**
 * CPU time (user + system) a process has used so far, in ms (from /proc/<pid>/stat); with mainThread,
 * only its main thread's (the JavaScript thread: no GC helpers, no thread pool).
 */
export function cpuMs(pid, mainThread = false) {
  try {
    const f = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
  } catch { return NaN; }
}

/** VmRSS of a process in bytes (from /proc), NaN once it is gone. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch { return NaN; }
}

/**
 * The node flags of the documented production command (Dockerfile, `npm run start:prod`), as the
 * build `dist` defines them (src/heap-sizing.ts): benches run the service the way it is deployed.
 * `node dist/src/main.js` without them restarts itself with them (about 0.1 s more to start).
 */
export async function productionNodeArgs(dist = 'dist') {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  const mod = await import(pathToFileURL(resolve(ROOT, dist, 'src/heap-sizing.js')).href);
  const flags = mod.HEAP_FLAGS ?? mod.default?.HEAP_FLAGS ?? {};
  return Object.entries(flags).map(([flag, value]) => `${flag}=${value}`);
}
