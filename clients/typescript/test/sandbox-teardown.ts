import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export default async function teardown(): Promise<void> {
  const sandbox = (globalThis as { __SANDBOX__?: { child: ChildProcess; dataDir: string } }).__SANDBOX__;
  if (!sandbox) return;
  const exited = new Promise((r) => sandbox.child.once('exit', r));
  sandbox.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (sandbox.child.exitCode === null) sandbox.child.kill('SIGKILL');
  rmSync(sandbox.dataDir, { recursive: true, force: true });
}
