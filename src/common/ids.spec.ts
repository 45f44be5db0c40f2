import { validate, version } from 'uuid';
import { newId } from './ids';
import { randomBytesFast } from './random-pool';

describe('newId', () => {
  it('makes valid v7 uuids that sort in the order they were made, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    for (const id of ids) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});

describe('randomBytesFast', () => {
  it('hands out each slice once, as a copy that a refill of the pool does not change', () => {
    const first = randomBytesFast(32);
    const kept = Buffer.from(first);
    // More than a whole pool: forces refills.
    const later = Array.from({ length: 400 }, () => randomBytesFast(32).toString('hex'));
    expect(first.equals(kept)).toBe(true);
    expect(new Set([kept.toString('hex'), ...later]).size).toBe(401);
  });

  it('gives the size asked for, also above the pooled sizes', () => {
    expect(randomBytesFast(12)).toHaveLength(12);
    expect(randomBytesFast(200)).toHaveLength(200);
    expect(randomBytesFast(200).equals(Buffer.alloc(200))).toBe(false);
  });
});
