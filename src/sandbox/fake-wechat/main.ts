// The fake WeChat server as its own process: `npm run fake-wechat -- --port 4100 [--app wxid:secret]`.
import { parseArgs } from 'node:util';
import { SANDBOX_WECHAT_APP } from '../../config/app-config';
import { FakeWechatServer } from './fake-wechat';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4100' },
      host: { type: 'string', default: '127.0.0.1' },
      app: { type: 'string', multiple: true },
    },
  });
  const apps = (values.app ?? []).map((pair) => {
    const [appId, secret] = pair.split(':');
    if (!appId || !secret) throw new Error(`--app takes appId:secret, got ${appId ?? ''}:…`);
    return { appId, secret };
  });
  const fake = new FakeWechatServer({ apps: apps.length > 0 ? apps : [SANDBOX_WECHAT_APP] });
  const url = await fake.listen(Number(values.port), values.host);
  process.stdout.write(
    `fake WeChat listening on ${url} (apps: ${(apps.length > 0 ? apps : [SANDBOX_WECHAT_APP]).map((a) => a.appId).join(', ')})\n`,
  );
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
