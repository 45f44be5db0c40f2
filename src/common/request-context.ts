import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { DatabaseBudget } from './database-budget';

export interface RequestContextData {
  requestId: string;
  /** The request's total time on the database (DATABASE_REQUEST_BUDGET_MS). */
  databaseBudget?: DatabaseBudget;
}

const storage = new AsyncLocalStorage<RequestContextData>();

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's X-Request-Id is kept when it is harmless; otherwise we make one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && INCOMING_ID.test(value) ? value : randomUUID();
}

export function runWithRequestContext<T>(data: RequestContextData, fn: () => T): T {
  return storage.run(data, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function currentDatabaseBudget(): DatabaseBudget | undefined {
  return storage.getStore()?.databaseBudget;
}

/** Runs `fn` outside any request's context: background work must not draw on a request's budget. */
export function outsideRequest<T>(fn: () => T): T {
  return storage.exit(fn);
}
