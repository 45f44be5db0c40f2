import { createPrivateKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface StoredSecrets {
  tokenEncryptionKey: { id: string; key: string };
  signingKeyPem: string;
}

/** A TOKEN_ENCRYPTION_KEYS entry: its id (stored beside each ciphertext) and 32 bytes of key. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface SandboxSecrets {
  tokenEncryptionKey: EncryptionKey;
  signingKey: KeyObject;
}

// Sandbox mode generates its keys once and keeps them under DATA_DIR, so that sessions and encrypted
// grants survive a restart. Production never comes here: its keys come from the environment.
export function ensureSandboxSecrets(dataDir: string): SandboxSecrets {
  const file = join(dataDir, 'sandbox-secrets.json');
  let stored: StoredSecrets;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
  } catch {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    stored = {
      tokenEncryptionKey: { id: 'sandbox1', key: randomBytes(32).toString('base64') },
      signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    tokenEncryptionKey: { id: stored.tokenEncryptionKey.id, key: Buffer.from(stored.tokenEncryptionKey.key, 'base64') },
    signingKey: createPrivateKey(stored.signingKeyPem),
  };
}
