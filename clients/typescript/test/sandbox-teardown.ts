import type { RunningSandbox } from './sandbox-setup';

export default async function teardown(): Promise<void> {
  await (globalThis as { __SANDBOX__?: RunningSandbox }).__SANDBOX__?.stop();
}
