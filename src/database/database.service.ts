import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.service';
import { isMysqlFamily } from './data-source-options';
import { DatabaseTimeoutError } from './database-errors';
import { boundPoolCheckout } from './query-bounds';

const DEADLOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MAX_ATTEMPTS = 3;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;

/**
 * The transaction helper. Every write goes through `transaction`, single statements included:
 * - on SQLite, TypeORM shares one connection, so two interleaved transactions would nest as
 *   savepoints of each other; here they queue instead;
 * - on MySQL, a transaction that lost a deadlock is run again (InnoDB rolled it back whole).
 */
@Injectable()
export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly serialize: boolean;
  private readonly acquireTimeoutMs: number;

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Optional() config?: AppConfig,
  ) {
    this.serialize = !isMysqlFamily(dataSource.options.type);
    this.acquireTimeoutMs = config?.get('database').acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
    boundPoolCheckout(dataSource, this.acquireTimeoutMs);
  }

  get dialect(): 'mysql' | 'sqlite' {
    return this.serialize ? 'sqlite' : 'mysql';
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialize) return this.withDeadlockRetry(work);
    // SQLite's queue is its pool: a turn not reached within the bound is given up (and skipped).
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(new DatabaseTimeoutError('queue', this.acquireTimeoutMs));
      }, this.acquireTimeoutMs);
    });
    const run = this.queue.then(() => {
      clearTimeout(timer);
      return gaveUp ? (undefined as T) : this.dataSource.transaction(work);
    });
    this.queue = run.catch(() => undefined);
    return Promise.race([run, waited]);
  }

  /** Resolves when the database answers within `timeoutMs`; rejects otherwise. */
  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async withDeadlockRetry<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(work);
      } catch (error) {
        const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code;
        if (attempt >= MAX_ATTEMPTS || !code || !DEADLOCK_CODES.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }
}
