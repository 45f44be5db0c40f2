import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_PHONE = '+8613800000000';

/** Starts the built service in sandbox mode (own port, own data dir) unless LOGIN_SERVICE_URL is set. */
export default async function setup(): Promise<void> {
  if (process.env.LOGIN_SERVICE_URL) return;
  const repoRoot = join(__dirname, '..', '..', '..');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dataDir = mkdtempSync(join(tmpdir(), 'wechat-login-sdk-'));
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      GRAPHQL_SCHEMA_FILE: 'off',
      ADMIN_PHONES: ADMIN_PHONE,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  (globalThis as { __SANDBOX__?: unknown }).__SANDBOX__ = { child, dataDir };
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${base}/health/ready`)).ok) {
        process.env.LOGIN_SERVICE_URL = base;
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(
    `the sandbox (node dist/src/main.js; run npm run build at the repository root) did not start:\n${stderr}`,
  );
}
