import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Clock } from '../common/clock';
import { HitCounter } from './hit-counter';

/**
 * @nestjs/throttler's storage on the shared counters, so the general throttle is one budget across
 * all instances. A refused call is not recorded: a client hammering while throttled costs reads only.
 */
@Injectable()
export class CounterThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly counter: HitCounter,
    private readonly clock: Clock,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _block: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const windowSeconds = Math.max(1, Math.ceil(ttl / 1000));
    const { taken, states } = await this.counter.take(
      [{ bucket: `throttle:${name}:${key}`, limit, windowSeconds }],
      this.clock.nowMs(),
    );
    const [state] = states;
    return {
      totalHits: taken ? state.hits : state.hits + 1,
      timeToExpire: windowSeconds,
      isBlocked: !taken,
      timeToBlockExpire: taken ? 0 : state.retryAfterSeconds,
    };
  }
}
