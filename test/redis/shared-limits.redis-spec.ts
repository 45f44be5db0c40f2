import { testRedis } from '../support/redis';
import { describeSharedLimits } from '../support/shared-limits-cases';
import { startTestApp } from '../support/test-app';

// Two apps, each on its own database, sharing limits only through Redis (REDIS_URL).
describeSharedLimits('Redis', async (env) => {
  const redis = testRedis();
  const shared = { ...env, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix };
  const a = await startTestApp({ env: shared });
  const b = await startTestApp({ env: shared });
  return {
    a,
    b,
    close: async () => {
      await b.close();
      await a.close();
      await redis.drop();
    },
  };
});
