import { Injectable } from '@nestjs/common';
import { Database } from './database.service';
import { Statement } from './sql-statements';

/** What the readiness probe asks the server; src/database/queries/database-status.repository.sql is their snapshot. */
export const DATABASE_STATUS_STATEMENTS = {
  // SQLite: a real table answers.
  tableAnswers: 'SELECT 1 FROM migrations LIMIT 1',
  // MySQL / MariaDB: a wsrep provider names a Galera node.
  clusterStatus:
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_provider_name', 'wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
  // A real table answers, and the server is not read-only.
  readOnly: 'SELECT @@global.read_only AS ro, (SELECT COUNT(*) FROM migrations) AS applied',
} satisfies Record<string, Statement>;

const S = DATABASE_STATUS_STATEMENTS;

/** A Galera node's view of itself. */
export interface ClusterState {
  ready: boolean;
  /** wsrep_local_state_comment, e.g. "Synced". */
  state: string;
  /** wsrep_cluster_status, e.g. "Primary". */
  cluster: string;
}

/** The server's own state, for readiness: each dialect's probes. */
@Injectable()
export class DatabaseStatusRepository {
  constructor(private readonly database: Database) {}

  /** The node's Galera state; null off Galera (and on SQLite, without a statement). */
  async clusterState(): Promise<ClusterState | null> {
    if (this.database.dialect === 'sqlite') return null;
    const status = new Map(
      (await this.query(S.clusterStatus)).map((row) => [
        String(row.Variable_name).toLowerCase(),
        String(row.Value ?? ''),
      ]),
    );
    if (!status.get('wsrep_provider_name')) return null;
    return {
      ready: status.get('wsrep_ready') === 'ON',
      state: status.get('wsrep_local_state_comment') ?? '',
      cluster: status.get('wsrep_cluster_status') ?? '',
    };
  }

  /** Whether the server refuses writes; throws when a real table does not answer. */
  async isReadOnly(): Promise<boolean> {
    if (this.database.dialect === 'sqlite') {
      await this.query(S.tableAnswers);
      return false;
    }
    const [row] = await this.query(S.readOnly);
    return Number(row?.ro) === 1;
  }

  private query(text: string): Promise<Record<string, unknown>[]> {
    return this.database.dataSource.query(text) as Promise<Record<string, unknown>[]>;
  }
}
