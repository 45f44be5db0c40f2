import { decrypt, getSignature } from '@wecom/crypto';
import { timingSafeEqual } from 'node:crypto';

// WeChat's message-server signatures and safe mode, on @wecom/crypto: WeCom's own library, the same
// scheme as official accounts (SHA-1 of the sorted token, timestamp, nonce [, Encrypt]; AES-256-CBC
// with the EncodingAESKey, IV its first 16 bytes, PKCS#7 to 32 bytes; random(16) + length(4, BE) +
// message + AppID). What it leaves to us: comparing in constant time, refusing garbled input, and
// checking the AppID inside.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// Safe mode wraps one event: a few kilobytes. The body limit bounds it before this does.
const MAX_CIPHERTEXT = 64 * 1024;

/** The signature WeChat sends for (token, timestamp, nonce), plus Encrypt in safe mode (msg_signature). */
export function messageSignature(token: string, timestamp: string, nonce: string, encrypt = ''): string {
  // An absent Encrypt is the empty string: sorted first, it adds nothing to the joined text.
  return getSignature(token, timestamp, nonce, encrypt);
}

export function sameSignature(given: string | undefined, expected: string): boolean {
  if (!given || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given.toLowerCase()), Buffer.from(expected));
}

/** The XML inside `<Encrypt>`, or null: not base64, not decryptable, or sealed for another AppID. */
export function openSafeMode(encodingAesKey: string, encrypt: string, appId: string): string | null {
  if (encrypt.length > MAX_CIPHERTEXT || !BASE64.test(encrypt)) return null;
  const bytes = Buffer.from(encrypt, 'base64');
  // At least one 32-byte padded block, and whole AES blocks.
  if (bytes.length < 32 || bytes.length % 16 !== 0) return null;
  let opened: { message: string; id: string };
  try {
    opened = decrypt(encodingAesKey, encrypt);
  } catch {
    return null;
  }
  // A garbled plaintext yields a wrong length, so a wrong AppID: the check catches both.
  return opened.id === appId ? opened.message : null;
}
