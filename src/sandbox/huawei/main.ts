// The fake Huawei ID server as its own process:
//   node dist/src/sandbox/huawei/main.js --port 4202 [--client-id 100000001] [--client-secret ...]
// Point HUAWEI_OAUTH_BASE and HUAWEI_ACCOUNT_BASE at the URL it prints.
import { parseArgs } from 'node:util';
import { SANDBOX_HUAWEI } from '../../config/providers-config';
import { FakeHuaweiServer } from './fake-huawei';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4202' },
      host: { type: 'string', default: '127.0.0.1' },
      'client-id': { type: 'string', default: SANDBOX_HUAWEI.clientId },
      'client-secret': { type: 'string', default: SANDBOX_HUAWEI.clientSecret },
    },
  });
  const fake = new FakeHuaweiServer({ clientId: values['client-id'], clientSecret: values['client-secret'] });
  const url = await fake.listen(Number(values.port), values.host);
  process.stdout.write(
    `fake Huawei ID listening on ${url} (client id ${values['client-id']}; issuer ${fake.issuer})\n`,
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
