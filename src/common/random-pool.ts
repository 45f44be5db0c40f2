import { randomFillSync } from 'node:crypto';

// Random bytes for the small secrets every request makes (ids, states, refresh tokens, IVs), cut
// from a buffer the CSPRNG refills 4 KiB at a time: one call into OpenSSL per ~100 secrets instead
// of one each (Node's own crypto.randomUUID() keeps such a cache too). Each slice is handed out once
// and copied, so a later refill never changes bytes a caller holds. Larger requests go straight to
// the CSPRNG.
const POOL_BYTES = 4096;
const MAX_FROM_POOL = 64;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

export function randomBytesFast(size: number): Buffer {
  if (size > MAX_FROM_POOL) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  // Spent bytes are overwritten at once: the pool never holds a secret that was already handed out.
  pool.fill(0, offset, offset + size);
  offset += size;
  return bytes;
}
