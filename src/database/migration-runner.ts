import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { isMysqlFamily } from './data-source-options';

const LOCK_NAME = 'wechat_login_migrations';
const LOCK_TIMEOUT_SECONDS = 120;

/**
 * Runs pending migrations. On MySQL, under GET_LOCK, so that several instances starting together
 * run them once: the others wait, then find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource, logger = new Logger('Migrations')): Promise<string[]> {
  if (!isMysqlFamily(dataSource.options.type)) {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [LOCK_NAME, LOCK_TIMEOUT_SECONDS])) as {
      acquired: number | string | null;
    }[];
    if (Number(row?.acquired) !== 1) {
      throw new Error(`could not take the migration lock within ${LOCK_TIMEOUT_SECONDS}s`);
    }
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]).catch((error: unknown) => {
        logger.warn(`could not release the migration lock: ${String(error)}`);
      });
    }
  } finally {
    await runner.release();
  }
}
