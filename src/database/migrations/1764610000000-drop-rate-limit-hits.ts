import { MigrationInterface, QueryRunner } from 'typeorm';
import { RateLimitHits1764200000000 } from './1764200000000-rate-limit-hits';

// `rate_limit_hits` (one row per counter hit, 1764200000000) has not been written since the counters
// moved to `rate_limit_rows` and `rate_limit_slots` (1764310000000); only housekeeping still swept it.
// Dropped here; `down` recreates it exactly as 1764200000000 did (empty).
//
// Why a rolling upgrade survives it: instances of the previous release still running once the table
// is gone touch it in one place only, HousekeepingService's hourly sweep (`DELETE FROM rate_limit_hits
// WHERE expires_at < ?`, its own transaction). Nothing else of theirs reads or writes it (its entity
// is metadata only, `synchronize` is off), and their migration runner ignores a newer migration in the
// `migrations` table, so an old instance restarting mid-upgrade still boots. That DELETE fails with
// ER_NO_SUCH_TABLE / SQLITE_ERROR, a query error that is neither retried nor a sign of the database
// being down; the sweep rejects and its timer logs "housekeeping failed: …" at warn level, and the
// next hour it tries again. Contrary to what was said of it, that table is not swept last: in that
// release's order `qr_logins` and `outbox` come after it, so an old instance's sweep skips those two
// until it is replaced. Harmless: their expired rows are kept a day (QR logins) and a month (delivered
// outbox rows) past expiry anyway and no read depends on their being gone; instances of this release
// sweep them (and this release's sweep goes on past a table that fails). Checked by running the
// previous release's HousekeepingService against a migrated database (SQLite and MariaDB).
// `rate_limits` stays for now: instances of the previous release draw their refresh budget from it.
export class DropRateLimitHits1764610000000 implements MigrationInterface {
  name = 'DropRateLimitHits1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('rate_limit_hits', true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await new RateLimitHits1764200000000().up(queryRunner);
  }
}
