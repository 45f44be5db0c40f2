import { defineVariables, EnvReader, safeUrl, secret, text } from '../env-reader';

// Where counters live (SMS budgets, the general throttle): the database, or Redis when REDIS_URL is set.

export const REDIS_VARIABLES = defineVariables({
  REDIS_URL: secret('redis://…: SMS budgets and the general throttle live in Redis instead of the database'),
  REDIS_KEY_PREFIX: text('prefix of every Redis key (default wechat-login:)', 'wechat-login:'),
});
const V = REDIS_VARIABLES;

/** null: counters live in the database. */
export type RedisSettings = { url: string; keyPrefix: string } | null;

export function readRedis(reader: EnvReader): RedisSettings {
  const url = reader.string(V.REDIS_URL);
  const keyPrefix = reader.text(V.REDIS_KEY_PREFIX);
  if (url === undefined) return null;
  if (!/^rediss?:\/\//i.test(url) || !safeUrl(url)) {
    reader.problems.push('REDIS_URL: redis://[:password@]host:6379[/db] or rediss://…');
    return null;
  }
  return { url, keyPrefix };
}
