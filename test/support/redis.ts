import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

/** The Redis the redis suite uses (npm run test:redis), and a key prefix no other test shares. */
export function testRedis(): { url: string; keyPrefix: string; drop(): Promise<void> } {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = `wl-test:${randomUUID()}:`;
  return {
    url,
    keyPrefix,
    drop: async () => {
      const redis = new Redis(url);
      try {
        const keys = await redis.keys(`${keyPrefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  };
}
