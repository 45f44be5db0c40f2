import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { defineVariables, EnvReader, int, secret, text } from '../env-reader';
import { type EncryptionKey, ensureSandboxSecrets } from '../sandbox-secrets';

// Sessions and the keys behind them: the key that signs access tokens (and earlier ones still
// verified), and the keys that encrypt stored provider tokens. The sandbox generates its own keys.

export const SESSION_VARIABLES = defineVariables({
  TOKEN_ENCRYPTION_KEYS: secret(
    'keyId:base64(32 bytes) pairs, comma-separated, first encrypts (required in production)',
  ),
  SESSION_SIGNING_KEY: secret(
    'PKCS#8 PEM private key, EC P-256 or Ed25519, for access tokens (required in production)',
  ),
  SESSION_VERIFY_KEYS: text(
    'earlier signing keys, as public PEM (or base64 PEM), comma-separated: still accepted and published',
  ),
  SESSION_ISSUER: text('the `iss` of access tokens (default wechat-login)', 'wechat-login'),
  SESSION_AUDIENCE: text('the `aud` of access tokens (default mobile-apps)', 'mobile-apps'),
  ACCESS_TOKEN_TTL_SECONDS: int('access token lifetime, at most 900 (default 900)', 900, 30, 900),
  SESSION_IDLE_DAYS: int('a session dies after this many unused days (default 30)', 30, 1, 3650),
  SESSION_ABSOLUTE_DAYS: int('a session dies this many days after login (default 90)', 90, 1, 3650),
});
const V = SESSION_VARIABLES;

export interface SessionSettings {
  signingKey: KeyObject;
  /** Earlier signing keys' public halves: still verified and published for rotation. */
  verifyKeys: KeyObject[];
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  idleDays: number;
  absoluteDays: number;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export function readSession(
  reader: EnvReader,
  production: boolean,
  dataDir: string,
): { tokenEncryptionKeys: EncryptionKey[]; session: SessionSettings } {
  const sandboxSecrets = production ? null : ensureSandboxSecrets(dataDir);
  const tokenEncryptionKeys = reader.string(V.TOKEN_ENCRYPTION_KEYS)
    ? readEncryptionKeys(reader)
    : sandboxSecrets
      ? [sandboxSecrets.tokenEncryptionKey]
      : reader.missing(V.TOKEN_ENCRYPTION_KEYS, []);
  const signingKey = reader.string(V.SESSION_SIGNING_KEY)
    ? readSigningKey(reader)
    : (sandboxSecrets?.signingKey ?? reader.missing(V.SESSION_SIGNING_KEY, undefined));
  const session: SessionSettings = {
    signingKey: signingKey as KeyObject,
    verifyKeys: readVerifyKeys(reader),
    issuer: reader.text(V.SESSION_ISSUER),
    audience: reader.text(V.SESSION_AUDIENCE),
    accessTtlSeconds: reader.int(V.ACCESS_TOKEN_TTL_SECONDS),
    idleDays: reader.int(V.SESSION_IDLE_DAYS),
    absoluteDays: reader.int(V.SESSION_ABSOLUTE_DAYS),
  };
  if (session.idleDays > session.absoluteDays) {
    reader.problems.push('SESSION_IDLE_DAYS: must not exceed SESSION_ABSOLUTE_DAYS');
  }
  return { tokenEncryptionKeys, session };
}

function readEncryptionKeys(reader: EnvReader): EncryptionKey[] {
  const raw = reader.string(V.TOKEN_ENCRYPTION_KEYS) ?? '';
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of raw.split(',').entries()) {
    const [id, material, ...rest] = entry.trim().split(':');
    const key = material ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (!id || !KEY_ID.test(id) || rest.length > 0 || key.length !== 32) {
      reader.problems.push(`TOKEN_ENCRYPTION_KEYS: entry ${index + 1} is not keyId:base64 of 32 random bytes`);
      continue;
    }
    if (keys.some((k) => k.id === id)) reader.problems.push(`TOKEN_ENCRYPTION_KEYS: key id ${id} is listed twice`);
    keys.push({ id, key });
  }
  return keys;
}

// A PEM (with literal \n allowed, as one env line) or its base64.
const pemOf = (raw: string): string =>
  raw.includes('-----BEGIN') ? raw.replace(/\\n/g, '\n') : Buffer.from(raw, 'base64').toString('utf8');

function readSigningKey(reader: EnvReader): KeyObject | undefined {
  try {
    const key = createPrivateKey(pemOf(reader.string(V.SESSION_SIGNING_KEY) ?? ''));
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'ec' && curve === 'prime256v1')) {
      return key;
    }
  } catch {
    // reported below without echoing the value
  }
  reader.problems.push('SESSION_SIGNING_KEY: a PKCS#8 PEM private key (EC P-256 or Ed25519), or its base64');
  return undefined;
}

function readVerifyKeys(reader: EnvReader): KeyObject[] {
  const raw = reader.string(V.SESSION_VERIFY_KEYS);
  if (raw === undefined) return [];
  const keys: KeyObject[] = [];
  for (const [index, entry] of raw.split(',').entries()) {
    try {
      const key = createPublicKey(pemOf(entry.trim()));
      if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
        keys.push(key);
        continue;
      }
    } catch {
      // reported below
    }
    reader.problems.push(`SESSION_VERIFY_KEYS: entry ${index + 1} is not a public PEM key (EC P-256 or Ed25519)`);
  }
  return keys;
}
