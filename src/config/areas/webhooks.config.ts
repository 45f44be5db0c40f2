import { randomBytes } from 'node:crypto';
import type { AppMode } from './app.config';
import { bool, defineVariables, EnvReader, int, safeUrl, secret, text } from '../env-reader';

// Webhooks out (Standard Webhooks) and the outbox that carries them and our own cleanups.

export const WEBHOOKS_VARIABLES = defineVariables({
  WEBHOOK_URL: secret(
    "the app backend's webhook endpoint (https://…), or several comma-separated; unset: no webhooks, nothing stored",
  ),
  WEBHOOK_SECRET: secret(
    'whsec_ + base64 of at least 24 random bytes: signs every delivery; required with WEBHOOK_URL',
  ),
  WEBHOOK_SANDBOX_RECEIVER: bool(
    "sandbox mode without WEBHOOK_URL: deliver to the sandbox's own /sandbox/webhooks/receive (default true)",
    true,
  ),
  OUTBOX_ENABLED: bool('run the outbox drainer (webhooks, provider cleanups) in this instance (default true)', true),
  OUTBOX_INTERVAL_MS: int('how often the drainer looks for due deliveries (default 1000)', 1000, 50, 60_000),
  OUTBOX_BATCH: int('deliveries one instance claims per pass (default 50)', 50, 1, 1000),
  OUTBOX_LEASE_SECONDS: int(
    "a claimed delivery is another instance's again after this long (default 60; at least 30: a try takes up to 15)",
    60,
    30,
    3600,
  ),
  OUTBOX_RETRY_SCHEDULE: text(
    'seconds between tries, comma-separated; after the last the delivery is failed (default 5,300,1800,7200,18000,36000,36000: 27.6 h; sandbox 2,5,15,60,300)',
  ),
});
const V = WEBHOOKS_VARIABLES;

const PRODUCTION_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const SANDBOX_SCHEDULE = [2, 5, 15, 60, 300];
const MIN_SECRET_BYTES = 24;
/** What an endpoint is stored as when it is the sandbox's own receiver (resolved at send time). */
export const SANDBOX_WEBHOOK_ENDPOINT = 'sandbox';

export interface WebhooksSettings {
  /** Where each event goes (one delivery per endpoint); empty: webhooks are off and nothing is stored. */
  endpoints: string[];
  /** `whsec_…`; null when webhooks are off. */
  secret: string | null;
}

export interface OutboxSettings {
  enabled: boolean;
  intervalMs: number;
  batch: number;
  leaseSeconds: number;
  /** Seconds before each retry; tries = length + 1. */
  retrySchedule: number[];
}

export function readWebhooks(reader: EnvReader, mode: AppMode): WebhooksSettings {
  const raw = reader.string(V.WEBHOOK_URL);
  const given = reader.string(V.WEBHOOK_SECRET);
  const sandboxReceiver = reader.bool(V.WEBHOOK_SANDBOX_RECEIVER);
  const endpoints = raw
    ? raw
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean)
    : [];
  for (const url of endpoints) {
    const parsed = safeUrl(url);
    if (!parsed || !/^https?:$/.test(parsed.protocol)) {
      reader.problems.push('WEBHOOK_URL: one or more comma-separated http(s) URLs');
      return { endpoints: [], secret: null };
    }
  }
  if (given !== undefined && !validSecret(given)) {
    reader.problems.push(`WEBHOOK_SECRET: whsec_ followed by base64 of at least ${MIN_SECRET_BYTES} bytes`);
    return { endpoints: [], secret: null };
  }
  if (endpoints.length > 0) {
    if (given === undefined) return reader.missing(V.WEBHOOK_SECRET, { endpoints: [], secret: null });
    return { endpoints, secret: given };
  }
  if (mode === 'sandbox' && sandboxReceiver) {
    // The receiver lives in this process and reads the secret from here: a fresh one per start will do.
    return { endpoints: [SANDBOX_WEBHOOK_ENDPOINT], secret: given ?? newWebhookSecret() };
  }
  return { endpoints: [], secret: null };
}

export function readOutbox(reader: EnvReader, mode: AppMode): OutboxSettings {
  const raw = reader.string(V.OUTBOX_RETRY_SCHEDULE);
  let retrySchedule = mode === 'sandbox' ? SANDBOX_SCHEDULE : PRODUCTION_SCHEDULE;
  if (raw !== undefined) {
    const parsed = raw.split(',').map((part) => Number(part.trim()));
    if (parsed.length === 0 || parsed.length > 30 || parsed.some((s) => !Number.isInteger(s) || s < 1 || s > 604_800)) {
      reader.problems.push('OUTBOX_RETRY_SCHEDULE: 1 to 30 comma-separated whole seconds, each from 1 to 604800');
    } else {
      retrySchedule = parsed;
    }
  }
  return {
    enabled: reader.bool(V.OUTBOX_ENABLED),
    intervalMs: reader.int(V.OUTBOX_INTERVAL_MS),
    batch: reader.int(V.OUTBOX_BATCH),
    leaseSeconds: reader.int(V.OUTBOX_LEASE_SECONDS),
    retrySchedule,
  };
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function validSecret(value: string): boolean {
  if (!value.startsWith('whsec_')) return false;
  const body = value.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return false;
  return Buffer.from(body, 'base64').length >= MIN_SECRET_BYTES;
}
