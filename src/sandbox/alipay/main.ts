// The fake Alipay gateway as its own process:
//   node dist/src/sandbox/alipay/main.js --port 4205 [--app-id 2021000000000001] [--app-key app.pem]
//     [--id-type open_id|user_id] [--alipay-key alipay-private.pem]
// Without --app-key it makes the app's key pair and prints the private half (base64 PEM) for the
// client; it always prints the fake's "Alipay" public key. The gateway is <URL>/gateway.do.
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALIPAY_GATEWAY_PATH, FakeAlipayServer, SANDBOX_ALIPAY_APP_ID } from './fake-alipay';

const base64Pem = (key: KeyObject): string =>
  Buffer.from(key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString()).toString(
    'base64',
  );

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4205' },
      host: { type: 'string', default: '127.0.0.1' },
      'app-id': { type: 'string', default: SANDBOX_ALIPAY_APP_ID },
      'app-key': { type: 'string' },
      'id-type': { type: 'string', default: 'open_id' },
      'alipay-key': { type: 'string' },
    },
  });
  const idType = values['id-type'];
  if (idType !== 'open_id' && idType !== 'user_id') throw new Error('--id-type must be open_id or user_id');
  let publicKey: KeyObject;
  if (values['app-key']) {
    const pem = readFileSync(values['app-key'], 'utf8');
    publicKey = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } else {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicKey = pair.publicKey;
    process.stdout.write(`ALIPAY_APP_PRIVATE_KEY=${base64Pem(pair.privateKey)}\n`);
  }
  const fake = new FakeAlipayServer({
    apps: [{ appId: values['app-id'], publicKey, idType }],
    alipayPrivateKey: values['alipay-key'] ? createPrivateKey(readFileSync(values['alipay-key'], 'utf8')) : undefined,
  });
  const url = await fake.listen(Number(values.port), values.host);
  process.stdout.write(`ALIPAY_PUBLIC_KEY=${base64Pem(await fake.alipayPublicKey())}\n`);
  process.stdout.write(
    `fake Alipay gateway listening on ${url}${ALIPAY_GATEWAY_PATH} (app ${values['app-id']}, ${idType})\n`,
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
