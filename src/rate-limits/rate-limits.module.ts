import { Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { DatabaseHitCounter } from './database-hit-counter';
import { HitCounter } from './hit-counter';
import { RateLimitHitEntity } from './rate-limit-hit.entity';
import { RedisHitCounter } from './redis-hit-counter';

/** The shared counters: in Redis when REDIS_URL is set, else rows in the database. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RateLimitHitEntity])],
  providers: [
    {
      provide: HitCounter,
      inject: [AppConfig, Database],
      useFactory: (config: AppConfig, database: Database): HitCounter => {
        const redis = config.get('redis');
        return redis ? new RedisHitCounter(redis.url, redis.keyPrefix) : new DatabaseHitCounter(database);
      },
    },
    CounterThrottlerStorage,
  ],
  exports: [HitCounter, CounterThrottlerStorage],
})
export class RateLimitsModule implements OnApplicationShutdown {
  constructor(private readonly counter: HitCounter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}
