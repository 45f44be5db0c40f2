import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_STATEMENTS } from '../audit/audit.repository';
import { BIND_TICKET_STATEMENTS } from '../identities/bind-tickets.repository';
import { IDENTITY_STATEMENTS } from '../identities/identities.repository';
import { COUNTER_STATEMENTS } from '../rate-limits/counters.repository';
import { SESSION_STATEMENTS } from '../sessions/sessions.repository';
import { CODE_EXCHANGE_STATEMENTS } from '../connectors/code-exchanges.repository';
import { PROVIDER_EVENT_STATEMENTS } from '../provider-events/provider-events.repository';
import { SMS_CODE_STATEMENTS } from '../sms/sms-codes.repository';
import { USER_STATEMENTS } from '../users/users.repository';
import { GRANT_STATEMENTS } from '../wechat/wechat-grants.repository';
import { OUTBOX_STATEMENTS } from '../outbox/outbox.repository';
import { DATABASE_STATUS_STATEMENTS } from './database-status.repository';
import { HOUSEKEEPING_STATEMENTS } from './housekeeping.service';
import { renderSqlSnapshot, Statements } from './sql-statements';

// One line per repository: its statements and the reviewed file they are written to.
const SNAPSHOTS: { file: string; owner: string; statements: Statements }[] = [
  { file: 'sessions.repository.sql', owner: 'SessionsRepository', statements: SESSION_STATEMENTS },
  { file: 'identities.repository.sql', owner: 'IdentitiesRepository', statements: IDENTITY_STATEMENTS },
  { file: 'bind-tickets.repository.sql', owner: 'BindTicketsRepository', statements: BIND_TICKET_STATEMENTS },
  { file: 'code-exchanges.repository.sql', owner: 'CodeExchangesRepository', statements: CODE_EXCHANGE_STATEMENTS },
  { file: 'wechat-grants.repository.sql', owner: 'WechatGrantsRepository', statements: GRANT_STATEMENTS },
  { file: 'users.repository.sql', owner: 'UsersRepository', statements: USER_STATEMENTS },
  { file: 'sms-codes.repository.sql', owner: 'SmsCodesRepository', statements: SMS_CODE_STATEMENTS },
  { file: 'counters.repository.sql', owner: 'CountersRepository', statements: COUNTER_STATEMENTS },
  { file: 'audit.repository.sql', owner: 'AuditRepository', statements: AUDIT_STATEMENTS },
  { file: 'database-status.repository.sql', owner: 'DatabaseStatusRepository', statements: DATABASE_STATUS_STATEMENTS },
  { file: 'outbox.repository.sql', owner: 'OutboxRepository', statements: OUTBOX_STATEMENTS },
  { file: 'housekeeping.sql', owner: 'HousekeepingService', statements: HOUSEKEEPING_STATEMENTS },
  { file: 'provider-events.repository.sql', owner: 'ProviderEventsRepository', statements: PROVIDER_EVENT_STATEMENTS },
];

const UPDATE = process.env.UPDATE_SQL_SNAPSHOTS === '1';

describe('SQL snapshots (src/database/queries)', () => {
  it.each(SNAPSHOTS)('$file holds every statement of $owner as the code writes it', ({ file, owner, statements }) => {
    const path = join(__dirname, 'queries', file);
    const expected = renderSqlSnapshot(owner, statements);
    if (UPDATE) writeFileSync(path, expected);
    let committed = '';
    try {
      committed = readFileSync(path, 'utf8');
    } catch {
      // Missing: reported below as a difference, with the same hint.
    }
    if (committed !== expected) {
      throw new Error(
        `${file} is out of date with ${owner}'s statements (${firstDifference(committed, expected)}).\n` +
          'Review the change, then run\n' +
          '  UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts\n' +
          'and commit the file.',
      );
    }
  });
});

function firstDifference(committed: string, expected: string): string {
  const had = committed.split('\n');
  const wants = expected.split('\n');
  const line = wants.findIndex((text, i) => had[i] !== text);
  const at = line === -1 ? wants.length : line;
  return `line ${at + 1}: file has ${JSON.stringify(had[at] ?? '<end>')}, code has ${JSON.stringify(wants[at] ?? '<end>')}`;
}
