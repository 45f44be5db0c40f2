import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { Database } from '../../database/database.service';
import type { LeasedGrant, RefreshedGrant } from '../wechat-grants.repository';
import { GrantLeases } from './grant-leases';
import { GrantRefresher } from './grant-refresher';
import { LoadGate } from './load-gate';
import { RefreshBudget } from './refresh-budget';
import { describeError } from './refresh-errors';

// Refreshed grants written back per statement.
const WRITE_CHUNK = 50;

export interface RefreshRunReport {
  at: Date;
  claimed: number;
  refreshed: number;
  failed: number;
  reauthRequired: number;
  /** Grants claimed but given back because the shared per-minute budget was spent. */
  overBudget: number;
}

export type RefreshOutcome = 'refreshed' | 'failed' | 'reauth';

/** What one pass works with; the job owns them (and their state) across passes. */
export interface RefreshPassParts {
  database: Database;
  clock: Clock;
  leases: GrantLeases;
  budget: RefreshBudget;
  refresher: GrantRefresher;
  gate: LoadGate;
  concurrency: number;
  stopping: () => boolean;
  onOutcome: (outcome: RefreshOutcome) => void;
  /** Called with the pass's report when it ends, even when it ends in an error. */
  record: (report: RefreshRunReport) => void;
}

const logger = new Logger('TokenRefreshService');

/**
 * One pass: leases up to a batch of due grants, draws that many units of the shared budget,
 * refreshes them with bounded concurrency (each grant behind the load gate), writes the new tokens
 * back one statement per chunk, and gives back every lease it still holds at the end.
 */
export async function runRefreshPass(parts: RefreshPassParts, token: string): Promise<RefreshRunReport> {
  const { leases, refresher, stopping, onOutcome } = parts;
  const report: RefreshRunReport = {
    at: parts.clock.now(),
    claimed: 0,
    refreshed: 0,
    failed: 0,
    reauthRequired: 0,
    overBudget: 0,
  };
  if (stopping()) return report;
  const sql = parts.database.sql;
  // The grants whose lease this pass still holds; a claim that failed midway may hold unknown ones.
  const held = new Set<string>();
  let claimFailed = true;
  try {
    const claimed: LeasedGrant[] = [];
    await leases.claim(token, claimed, stopping);
    claimFailed = false;
    for (const grant of claimed) held.add(grant.id);
    report.claimed = claimed.length;
    if (claimed.length === 0) return report;
    const allowed = await parts.budget.take(claimed.length, parts.clock.now());
    if (allowed < claimed.length) report.overBudget = claimed.length - allowed;
    const queue = claimed.slice(0, allowed);
    let next = 0;
    let pending: RefreshedGrant[] = [];
    const flush = async (): Promise<void> => {
      const rows = pending;
      pending = [];
      if (rows.length === 0) return;
      try {
        const written = await refresher.store(sql, rows, token);
        for (const row of rows) held.delete(row.id);
        report.refreshed += written;
        for (let i = 0; i < written; i++) onOutcome('refreshed');
      } catch (error) {
        // The leases go back at the end of the pass; these grants are simply due again.
        report.failed += rows.length;
        logger.error(`${rows.length} refreshed grants not stored: ${describeError(error)}`);
      }
    };
    // Each grant's failure stays with that grant: it is logged, counted, and its lease given back;
    // the other workers carry on, and no worker outlives the pass.
    const worker = async (index: number): Promise<void> => {
      while (next < queue.length && !stopping()) {
        await parts.gate.pass(stopping);
        if (stopping() || next >= queue.length) break;
        const grant = queue[next++];
        try {
          const result = await refresher.refresh(sql, grant, token);
          if (result === 'reauth' || result === 'failed') {
            held.delete(grant.id);
            if (result === 'reauth') report.reauthRequired += 1;
            else report.failed += 1;
            onOutcome(result);
            continue;
          }
          pending.push(result);
          if (pending.length >= WRITE_CHUNK) await flush();
        } catch (error) {
          report.failed += 1;
          onOutcome('failed');
          logger.error(`grant ${grant.id} not refreshed: ${describeError(error)}`);
        }
      }
    };
    await Promise.allSettled(
      Array.from({ length: Math.min(parts.concurrency, queue.length) }, (_, index) => worker(index)),
    );
    await flush();
  } finally {
    // Whatever this pass still holds (grants over budget or not reached before shutdown, a failed
    // write) goes back now instead of staying leased for the whole lease time.
    if (claimFailed) await leases.releaseToken(token);
    else await leases.releaseIds(sql, [...held], token);
    parts.record(report);
  }
  if (report.claimed > 0) {
    logger.log(
      `refresh pass: ${report.refreshed} refreshed, ${report.failed} failed, ${report.reauthRequired} need re-authorization` +
        (report.overBudget > 0 ? `, ${report.overBudget} left for the next budget window` : ''),
    );
  }
  return report;
}
