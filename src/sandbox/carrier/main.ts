// The fake Alibaba Cloud number-authentication API (Dypnsapi GetMobile) as its own process:
//   node dist/src/sandbox/carrier/main.js --port 4203 [--access-key-id …] [--access-key-secret …]
// Point CARRIER_ENDPOINT at http://127.0.0.1:4203 with the same AccessKey pair.
import { parseArgs } from 'node:util';
import { SANDBOX_CARRIER } from '../../config/providers-config';
import { FakeCarrierServer } from './fake-carrier';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4203' },
      host: { type: 'string', default: '127.0.0.1' },
      'access-key-id': { type: 'string', default: SANDBOX_CARRIER.accessKeyId },
      'access-key-secret': { type: 'string', default: SANDBOX_CARRIER.accessKeySecret },
    },
  });
  const fake = new FakeCarrierServer({
    accessKeyId: values['access-key-id'],
    accessKeySecret: values['access-key-secret'],
  });
  const url = await fake.listen(Number(values.port), values.host);
  process.stdout.write(`fake carrier (Dypnsapi) listening on ${url} (AccessKey id ${values['access-key-id']})\n`);
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
