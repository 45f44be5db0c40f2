import { Global, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { DatabaseHitCounter } from './database-hit-counter';
import { HitCounter } from './hit-counter';
import { RateLimitHitEntity } from './rate-limit-hit.entity';
import { RateLimitRowEntity } from './rate-limit-row.entity';
import { RateLimitSlotEntity } from './rate-limit-slot.entity';
import { RedisHitCounter } from './redis-hit-counter';
import { TrustedSources } from './trusted-sources';

/**
 * The shared counters: in Redis when REDIS_URL is set (one round trip per take), else in the
 * database: exact per-phone rows plus in-memory counts shared once a second (DatabaseHitCounter).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RateLimitHitEntity, RateLimitRowEntity, RateLimitSlotEntity])],
  providers: [
    {
      provide: HitCounter,
      inject: [AppConfig, Database, Clock],
      useFactory: (config: AppConfig, database: Database, clock: Clock): HitCounter => {
        const redis = config.get('redis');
        return redis
          ? new RedisHitCounter(redis.url, redis.keyPrefix)
          : new DatabaseHitCounter(database, () => clock.nowMs());
      },
    },
    CounterThrottlerStorage,
    TrustedSources,
  ],
  exports: [HitCounter, CounterThrottlerStorage, TrustedSources],
})
export class RateLimitsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly counter: HitCounter) {}

  onApplicationBootstrap(): void {
    // Started here, outside any request, so that its timers carry no request's context.
    if (this.counter instanceof DatabaseHitCounter) this.counter.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}
