import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Clock } from '../common/clock';
import { HitCounter } from './hit-counter';
import { KeyedMutex } from './keyed-mutex';

/**
 * @nestjs/throttler's storage on the shared counters, so the general throttle is one budget across
 * all instances. A refused call is not recorded: a client hammering while throttled costs reads only.
 * Calls of one key queue in-process, so the count is exact within an instance whatever the database
 * does with concurrent transactions (across instances it may overshoot by the calls in flight).
 */
@Injectable()
export class CounterThrottlerStorage implements ThrottlerStorage {
  private readonly local = new KeyedMutex();

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
    const bucket = `throttle:${name}:${key}`;
    const { taken, states } = await this.local.run([bucket], () =>
      this.counter.take([{ bucket, limit, windowSeconds }], this.clock.nowMs()),
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
