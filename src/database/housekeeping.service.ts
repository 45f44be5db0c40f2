import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from './database.service';

const JOB_NAME = 'housekeeping';
const EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

// Short-lived rows, and how long after they stop mattering they are deleted.
const RULES: { table: string; column: string; keepMs: number }[] = [
  { table: 'login_states', column: 'expires_at', keepMs: DAY_MS },
  { table: 'code_exchanges', column: 'expires_at', keepMs: DAY_MS },
  { table: 'bind_tickets', column: 'expires_at', keepMs: DAY_MS },
  { table: 'sms_codes', column: 'expires_at', keepMs: 2 * DAY_MS },
  // The longest window is a day (SMS per phone); a closed window is kept one more day.
  { table: 'rate_limits', column: 'window_start', keepMs: 2 * DAY_MS },
  // Counter hits carry their bucket's longest window as expires_at.
  { table: 'rate_limit_hits', column: 'expires_at', keepMs: 0 },
];

/** Deletes expired one-time rows every hour, so the tables of states, codes and limits stay small. */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HousekeepingService.name);

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Same switch as the other background job: tests and one-off tools run without timers.
    if (!this.config.get('tokenRefresh').enabled) return;
    const timer = setInterval(() => {
      void this.sweep().catch((error: unknown) => this.logger.warn(`housekeeping failed: ${String(error)}`));
    }, EVERY_MS);
    timer.unref();
    this.scheduler.addInterval(JOB_NAME, timer);
  }

  beforeApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
  }

  /** One sweep; returns the rows deleted per table. */
  async sweep(): Promise<Record<string, number>> {
    const now = this.clock.nowMs();
    const deleted: Record<string, number> = {};
    for (const rule of RULES) {
      const result = await this.database.transaction((manager) =>
        manager
          .createQueryBuilder()
          .delete()
          .from(rule.table)
          .where(`${rule.column} < :before`, { before: new Date(now - rule.keepMs) })
          .execute(),
      );
      deleted[rule.table] = result.affected ?? 0;
    }
    return deleted;
  }
}
