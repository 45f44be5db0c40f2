import type { HttpAdapterHost } from '@nestjs/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '../../src/common/clock';
import { loadAppConfig } from '../../src/config/app-config';
import { AppConfig } from '../../src/config/app-config.service';
import { DomainError } from '../../src/errors/domain-error';
import { ProviderCallEvent, ProviderCalls } from '../../src/providers/provider-calls';

// Provider clients outside Nest, configured through the real configuration loader (sandbox mode),
// pointed at fakes listening on their own ports.

// Timeouts no busy machine reaches for answers the fake gives at once: a test never depends on speed.
export const PATIENT = { PROVIDER_TIMEOUT_MS: '15000', PROVIDER_BUDGET_MS: '30000' };
// For a test whose fake holds an answer (`hold: true`): the timeout fires however busy the machine is,
// and whichever call it hits, the outcome asserted is the same.
export const SHORT = { PROVIDER_TIMEOUT_MS: '300', PROVIDER_BUDGET_MS: '1500' };

let dataDir: string | undefined;

export function providerConfig(env: Record<string, string>): AppConfig {
  dataDir ??= mkdtempSync(join(tmpdir(), 'providers-')); // one per file, not one per client
  return new AppConfig(loadAppConfig({ DATA_DIR: dataDir, ...PATIENT, ...env }));
}

export function providerCalls(config: AppConfig): { calls: ProviderCalls; events: ProviderCallEvent[] } {
  const calls = new ProviderCalls(config, { httpAdapter: undefined } as unknown as HttpAdapterHost);
  const events: ProviderCallEvent[] = [];
  calls.onCall = (event) => events.push(event);
  return { calls, events };
}

export function sandboxClock(): Clock {
  return new Clock(true);
}

/** The DomainError code a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError, got success');
}

/** Every message and detail a failure carried, to check that no secret leaked. */
export async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return `${(error as Error).message} ${JSON.stringify(error)}`;
  }
  return '';
}
