import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_PHONE = '+8613800000000';

export interface RunningSandbox {
  url: string;
  child: ChildProcess;
  dataDir: string;
  stop(): Promise<void>;
}

/** The built service (dist/) in sandbox mode on a random port with a data dir of its own. */
export async function startSandbox(env: Record<string, string> = {}): Promise<RunningSandbox> {
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
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return { url, child, dataDir, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(
    `the sandbox (node dist/src/main.js; run npm run build at the repository root) did not start:\n${stderr}`,
  );
}

/** Jest's globalSetup: one sandbox for every spec, unless LOGIN_SERVICE_URL is set. */
export default async function setup(): Promise<void> {
  if (process.env.LOGIN_SERVICE_URL) return;
  const sandbox = await startSandbox();
  (globalThis as { __SANDBOX__?: RunningSandbox }).__SANDBOX__ = sandbox;
  process.env.LOGIN_SERVICE_URL = sandbox.url;
}
