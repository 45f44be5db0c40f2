// The fake WeChat server as its own process:
//   npm run fake-wechat -- --port 4100 [--app wxid:secret] [--app channel:wxid:secret[:noopen]]
// channel is app | mini_program | official_account | website; `noopen` leaves the app off the Open
// Platform account (openid only, no unionid).
import { parseArgs } from 'node:util';
import { SANDBOX_WECHAT_APP } from '../../config/app-config';
import { FakeWechatServer } from './fake-wechat';
import { FakeWechatApp, WECHAT_CHANNELS, WechatChannel } from './fake-wechat.types';

export function parseAppArgument(value: string): FakeWechatApp {
  const parts = value.split(':');
  if (parts.length === 2 && parts[0] && parts[1]) return { appId: parts[0], secret: parts[1] };
  const [channel, appId, secret, flag] = parts;
  if (
    (parts.length === 3 || parts.length === 4) &&
    WECHAT_CHANNELS.includes(channel as WechatChannel) &&
    appId &&
    secret &&
    (flag === undefined || flag === 'noopen')
  ) {
    return { appId, secret, channel: channel as WechatChannel, openPlatform: flag !== 'noopen' };
  }
  throw new Error(
    `--app takes appId:secret or channel:appId:secret[:noopen] (channel: ${WECHAT_CHANNELS.join(', ')}), got ${parts[0] ?? ''}:…`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4100' },
      host: { type: 'string', default: '127.0.0.1' },
      app: { type: 'string', multiple: true },
    },
  });
  const given = (values.app ?? []).map(parseAppArgument);
  const apps = given.length > 0 ? given : [SANDBOX_WECHAT_APP];
  const fake = new FakeWechatServer({ apps });
  const url = await fake.listen(Number(values.port), values.host);
  const described = fake.apps().map((a) => `${a.appId} (${a.channel}${a.openPlatform ? '' : ', no Open Platform'})`);
  process.stdout.write(`fake WeChat listening on ${url} (apps: ${described.join(', ')})\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
