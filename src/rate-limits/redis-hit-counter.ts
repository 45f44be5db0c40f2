import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { CounterRule, HitCounter, retentionByBucket, RuleState, statesOf, TakeResult, takeResult } from './hit-counter';

// One sorted set per bucket, one member per hit (score: the hit's time in ms). The script checks
// every rule and records the hit in every bucket atomically, so every limit is exact here.
// KEYS: the buckets. ARGV: now, member, dry run (1/0), rule count, then per rule (key index, window
// ms, limit, enforced 1/0), then per key its retention in ms.
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local member = ARGV[2]
local dry = ARGV[3] == '1'
local n = tonumber(ARGV[4])
local keep = 4 + n * 4
local out = {}
local blocked = false
if not dry then
  for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - tonumber(ARGV[keep + i]))
  end
end
for r = 0, n - 1 do
  local base = 5 + r * 4
  local key = KEYS[tonumber(ARGV[base])]
  local window = tonumber(ARGV[base + 1])
  local limit = tonumber(ARGV[base + 2])
  local since = '(' .. tostring(now - window)
  local hits = redis.call('ZCOUNT', key, since, '+inf')
  local retry = 0
  if hits >= limit then
    local filled = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', hits - limit, 1)
    retry = tonumber(filled[2]) + window - now
    if ARGV[base + 3] == '1' then blocked = true end
  end
  out[#out + 1] = hits
  out[#out + 1] = retry
end
if not dry and not blocked then
  for i = 1, #KEYS do
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[keep + i]))
  end
end
return out
`;

type CounterRedis = Redis & {
  hitCounterTake(keys: number, ...args: (string | number)[]): Promise<number[]>;
};

/** Counters in Redis (REDIS_URL): sorted sets trimmed to their longest window, updated by one Lua script. */
export class RedisHitCounter extends HitCounter {
  private readonly redis: CounterRedis;

  constructor(
    url: string,
    private readonly keyPrefix: string,
  ) {
    super();
    // ioredis is required here, not at start: only REDIS_URL needs it.
    const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
    this.redis = new RedisClient(url, {
      // Fail fast: a request waits at most a second or two for Redis, then answers SERVICE_UNAVAILABLE.
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000,
    }) as CounterRedis;
    this.redis.defineCommand('hitCounterTake', { lua: TAKE_SCRIPT });
    // Errors surface on the commands; without a listener ioredis would also print each reconnect.
    this.redis.on('error', () => undefined);
  }

  async peek(rules: CounterRule[], nowMs: number): Promise<RuleState[]> {
    return statesOf(rules, await this.run(rules, nowMs, true));
  }

  async take(rules: CounterRule[], nowMs: number): Promise<TakeResult> {
    return takeResult(rules, await this.run(rules, nowMs, false));
  }

  override async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async run(rules: CounterRule[], nowMs: number, dryRun: boolean) {
    const retention = retentionByBucket(rules);
    const buckets = [...retention.keys()];
    const args: (string | number)[] = [nowMs, randomUUID(), dryRun ? 1 : 0, rules.length];
    for (const rule of rules) {
      args.push(
        buckets.indexOf(rule.bucket) + 1,
        rule.windowSeconds * 1000,
        rule.limit,
        rule.enforce === false ? 0 : 1,
      );
    }
    for (const bucket of buckets) args.push(retention.get(bucket)! * 1000);
    let reply: number[];
    try {
      reply = await this.redis.hitCounterTake(buckets.length, ...buckets.map((b) => this.keyPrefix + b), ...args);
    } catch {
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
    }
    return rules.map((_, i) => ({ hits: Number(reply[i * 2]), retryAfterMs: Number(reply[i * 2 + 1]) }));
  }
}
