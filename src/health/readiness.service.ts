import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { DatabaseStatusRepository } from '../database/database-status.repository';
import { withTimeout } from '../database/database.service';

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
 *   node that lost quorum still answers a trivial query but refuses every real one;
 * - everywhere on MySQL / MariaDB: a real table answers and the server is not read-only (a Group
 *   Replication secondary or a demoted primary is super_read_only);
 * - on SQLite: a real table answers.
 */
@Injectable()
export class ReadinessState implements BeforeApplicationShutdown {
  private draining = false;

  constructor(private readonly status: DatabaseStatusRepository) {}

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
    const galera = await this.status.clusterState();
    if (galera) {
      const detail = `${galera.state} / ${galera.cluster}`;
      if (!galera.ready || galera.state !== 'Synced' || galera.cluster !== 'Primary') {
        return { ready: false, database: 'cluster-not-ready', detail };
      }
    }
    if (await this.status.isReadOnly()) return { ready: false, database: 'read-only' };
    return { ready: true, database: 'ok' };
  }
}
