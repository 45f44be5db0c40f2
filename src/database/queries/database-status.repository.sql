-- Statements of DatabaseStatusRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- DatabaseStatusRepository.tableAnswers
SELECT 1
  FROM migrations
  LIMIT 1;

-- DatabaseStatusRepository.clusterStatus
SHOW GLOBAL STATUS
  WHERE Variable_name IN ('wsrep_provider_name', 'wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status');

-- DatabaseStatusRepository.readOnly
SELECT @@global.read_only AS ro, (SELECT COUNT(*)
  FROM migrations) AS applied;
