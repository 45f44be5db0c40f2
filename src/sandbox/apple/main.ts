// The fake Sign in with Apple server as its own process:
//   node dist/src/sandbox/apple/main.js --port 4201 [--bundle-id com.example.app] [--team-id ABCDE12345]
//     [--key-id KEY1234567] [--team-key team-key.p8]
// Without --team-key it makes a team key and prints it (base64 PKCS#8) for APPLE_PRIVATE_KEY.
// Tokens are issued by the fake's own URL, so APPLE_API_BASE=<that URL> is all the service needs.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SANDBOX_APPLE } from '../../config/providers-config';
import { FakeAppleServer } from './fake-apple';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4201' },
      host: { type: 'string', default: '127.0.0.1' },
      'bundle-id': { type: 'string', multiple: true },
      'team-id': { type: 'string', default: SANDBOX_APPLE.teamId },
      'key-id': { type: 'string', default: SANDBOX_APPLE.keyId },
      'team-key': { type: 'string' },
      issuer: { type: 'string' },
    },
  });
  let teamPublicKey;
  if (values['team-key']) {
    const pem = readFileSync(values['team-key'], 'utf8');
    teamPublicKey = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } else {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    teamPublicKey = pair.publicKey;
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    process.stdout.write(`APPLE_PRIVATE_KEY=${Buffer.from(pem).toString('base64')}\n`);
  }
  const bundleIds = values['bundle-id'] ?? SANDBOX_APPLE.bundleIds;
  const fake = new FakeAppleServer({ bundleIds, teamId: values['team-id'], keyId: values['key-id'], teamPublicKey });
  const url = await fake.listen(Number(values.port), values.host);
  fake.issuer = values.issuer ?? url;
  process.stdout.write(
    `fake Apple listening on ${url} (issuer ${fake.issuer}; bundle ids ${bundleIds.join(', ')}; team ${values['team-id']}, key ${values['key-id']})\n`,
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
