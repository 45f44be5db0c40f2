import { Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { Clock } from '../common/clock';
import { classifyDatabaseError } from '../database/database-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { HitCounter } from './hit-counter';

/**
 * @nestjs/throttler's storage on the shared counters, so the general throttle is one budget across
 * all instances. A refused call is not recorded. Without Redis the count is kept in memory and
 * shared once a second (FleetCounter: no statement per call; exact within an instance, and across
 * N instances a budget may be overshot by about one second of the others' calls); with Redis it is
 * one script call, exact.
 * When the counters' store is unavailable the throttle lets calls through (fails open): it is a
 * second line of defence, and calls that need the database fail on their own with SERVICE_UNAVAILABLE,
 * while those that need none (loginOptions) keep working. The SMS budgets fail closed.
 */
@Injectable()
export class CounterThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttle');
  private lastWarnedMs = 0;

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
    let result;
    try {
      result = await this.counter.take([{ bucket, limit, windowSeconds }], this.clock.nowMs());
    } catch (error) {
      if (!storeUnavailable(error)) throw error;
      if (Date.now() - this.lastWarnedMs > 10_000) {
        this.lastWarnedMs = Date.now();
        this.logger.warn('counter store unavailable: the general throttle lets calls through');
      }
      return { totalHits: 0, timeToExpire: windowSeconds, isBlocked: false, timeToBlockExpire: 0 };
    }
    const { taken, states } = result;
    const [state] = states;
    return {
      totalHits: taken ? state.hits : state.hits + 1,
      timeToExpire: windowSeconds,
      isBlocked: !taken,
      timeToBlockExpire: taken ? 0 : state.retryAfterSeconds,
    };
  }
}

function storeUnavailable(error: unknown): boolean {
  if (error instanceof DomainError) return error.code === ErrorCode.SERVICE_UNAVAILABLE;
  return classifyDatabaseError(error) === 'unavailable';
}
