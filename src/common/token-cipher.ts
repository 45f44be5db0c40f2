import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { EncryptionKey } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { randomBytesFast } from './random-pool';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for the WeChat tokens we must send back to WeChat (so they are encrypted, not hashed).
 * Output: base64url(iv | ciphertext | tag). The key id is stored beside it; the first key of
 * TOKEN_ENCRYPTION_KEYS encrypts, any listed key decrypts, so keys rotate without a migration.
 */
@Injectable()
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(config: AppConfig) {
    const keys = config.get('tokenEncryptionKeys');
    this.current = keys[0];
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytesFast(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The row it belongs to is authenticated too: a ciphertext moved to another row fails to open.
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  decrypt(sealed: string, keyId: string, context: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`token encryption key ${keyId} is not configured`);
    const raw = Buffer.from(sealed, 'base64url');
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }
}
