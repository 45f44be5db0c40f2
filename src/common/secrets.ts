import { createHash } from 'node:crypto';
import { randomBytesFast } from './random-pool';

/** An unguessable bearer secret: `bytes` random bytes, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytesFast(bytes).toString('base64url');
}

/** What we store instead of a bearer secret we issued (states, tickets, SMS codes, refresh tokens). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
