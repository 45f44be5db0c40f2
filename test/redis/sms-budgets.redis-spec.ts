import { RedisHitCounter } from '../../src/rate-limits/redis-hit-counter';
import { testRedis } from '../support/redis';
import { describeSmsBudgets } from '../support/sms-budget-cases';

// The same budgets table against the Redis counter (npm run test:redis).
describeSmsBudgets('Redis', async () => {
  const redis = testRedis();
  const counter = new RedisHitCounter(redis.url, redis.keyPrefix);
  return {
    counter,
    close: async () => {
      await counter.close();
      await redis.drop();
    },
  };
});
