import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Database, withTimeout } from '../database/database.service';

export type DatabaseReadiness = 'ok' | 'unreachable' | 'read-only' | 'cluster-not-ready';

export interface ReadinessReport {
  ready: boolean;
  database: DatabaseReadiness;
  /** On Galera: the node's state, e.g. "Synced / Primary" or "Initialized / non-Primary". */
  detail?: string;
}

const PROBE_TIMEOUT_MS = 1000;

/**
 * Readiness turns red the moment shutdown begins, so the load balancer stops sending traffic, and
 * whenever the database node this instance uses cannot take writes:
 * - on Galera (SHOW STATUS names a wsrep provider): wsrep_ready ON, state Synced, cluster Primary. A
 *   node that lost quorum still answers SELECT 1 but refuses every real query;
 * - everywhere on MySQL / MariaDB: a real table answers and the server is not read-only (a Group
 *   Replication secondary or a demoted primary is super_read_only);
 * - on SQLite: a real table answers.
 */
@Injectable()
export class ReadinessState implements BeforeApplicationShutdown {
  private draining = false;

  constructor(private readonly database: Database) {}

  get shuttingDown(): boolean {
    return this.draining;
  }

  /** The first step of a graceful shutdown (SIGTERM), before anything closes. */
  startDraining(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  async checkDatabase(timeoutMs = PROBE_TIMEOUT_MS): Promise<ReadinessReport> {
    try {
      return await withTimeout(this.probe(), timeoutMs);
    } catch {
      return { ready: false, database: 'unreachable' };
    }
  }

  private async probe(): Promise<ReadinessReport> {
    const query = (sql: string): Promise<Record<string, unknown>[]> =>
      this.database.dataSource.query(sql) as Promise<Record<string, unknown>[]>;
    if (this.database.dialect === 'sqlite') {
      await query('SELECT 1 FROM migrations LIMIT 1');
      return { ready: true, database: 'ok' };
    }
    const status = new Map(
      (
        await query(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_provider_name', 'wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
        )
      ).map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value ?? '')]),
    );
    if (status.get('wsrep_provider_name')) {
      const state = status.get('wsrep_local_state_comment') ?? '';
      const cluster = status.get('wsrep_cluster_status') ?? '';
      const detail = `${state} / ${cluster}`;
      if (status.get('wsrep_ready') !== 'ON' || state !== 'Synced' || cluster !== 'Primary') {
        return { ready: false, database: 'cluster-not-ready', detail };
      }
    }
    const [row] = await query('SELECT @@global.read_only AS ro, (SELECT COUNT(*) FROM migrations) AS applied');
    if (Number(row?.ro) === 1) return { ready: false, database: 'read-only' };
    return { ready: true, database: 'ok' };
  }
}
