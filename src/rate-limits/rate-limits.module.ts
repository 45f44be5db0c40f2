import { Global, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { CountersRepository } from './counters.repository';
import { DatabaseHitCounter } from './database-hit-counter';
import { FleetCounter } from './fleet-counter';
import { HitCounter } from './hit-counter';
import { RateLimitRowEntity } from './rate-limit-row.entity';
import { RateLimitSlotEntity } from './rate-limit-slot.entity';
import { RedisHitCounter } from './redis-hit-counter';
import { TrustedSources } from './trusted-sources';

/**
 * The shared counters: in Redis when REDIS_URL is set (one round trip per take), else in the
 * database: exact per-phone rows plus in-memory counts shared once a second (DatabaseHitCounter).
 * The in-memory counts (FleetCounter, rows of `rate_limit_slots`) are one provider, also with Redis:
 * the WeChat refresh job draws its per-minute budget from them in portions (RefreshBudget). Without
 * Redis they are shared every second; with it, only in the rounds the refresh budget runs itself.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RateLimitRowEntity, RateLimitSlotEntity])],
  providers: [
    {
      provide: FleetCounter,
      inject: [Database, Clock],
      useFactory: (database: Database, clock: Clock): FleetCounter =>
        new FleetCounter(new CountersRepository(database), () => clock.nowMs()),
    },
    {
      provide: HitCounter,
      inject: [AppConfig, Database, Clock, FleetCounter],
      useFactory: (config: AppConfig, database: Database, clock: Clock, fleet: FleetCounter): HitCounter => {
        const redis = config.get('redis');
        return redis
          ? new RedisHitCounter(redis.url, redis.keyPrefix)
          : new DatabaseHitCounter(database, () => clock.nowMs(), fleet);
      },
    },
    CounterThrottlerStorage,
    TrustedSources,
  ],
  exports: [HitCounter, FleetCounter, CounterThrottlerStorage, TrustedSources],
})
export class RateLimitsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly counter: HitCounter,
    private readonly fleet: FleetCounter,
  ) {}

  onApplicationBootstrap(): void {
    // Started here, outside any request, so that its timers carry no request's context.
    if (this.counter instanceof DatabaseHitCounter) this.counter.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
    // With Redis, what the refresh budget drew since its last write (without, close() wrote it).
    await this.fleet.flush();
  }
}
