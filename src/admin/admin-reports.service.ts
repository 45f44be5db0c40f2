import { Injectable } from '@nestjs/common';
import { AuditRepository } from '../audit/audit.repository';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { LoginMethod } from '../common/enums';
import { UsersRepository } from '../users/users.repository';
import { TokenRefreshService } from '../wechat/token-refresh.service';
import { Actor, decodeCursor, encodeCursor, pageSize } from './admin-paging';
import { AuditEventPage, LoginStats, TokenRefreshStatus } from './models/admin.models';

/** What admins read from the audit log (events, login statistics) and the token refresh job they run. */
@Injectable()
export class AdminReportsService {
  constructor(
    private readonly refreshJob: TokenRefreshService,
    private readonly audit: AuditService,
    private readonly auditRows: AuditRepository,
    private readonly userRows: UsersRepository,
    private readonly clock: Clock,
  ) {}

  async runTokenRefresh(actor: Actor): Promise<TokenRefreshStatus> {
    const report = await this.refreshJob.runOnce();
    await this.audit.record({
      action: 'admin.run_token_refresh',
      actorUserId: actor.userId,
      ip: actor.ip,
      details: { refreshed: report.refreshed, failed: report.failed, reauthRequired: report.reauthRequired },
    });
    return this.refreshJob.status();
  }

  tokenRefreshStatus(): Promise<TokenRefreshStatus> {
    return this.refreshJob.status();
  }

  async auditEvents(
    userId: string | null | undefined,
    action: string | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<AuditEventPage> {
    const size = pageSize(first, 50);
    const rows = await this.auditRows.find({
      userId: userId || undefined,
      action: action || undefined,
      before: decodeCursor(after) ?? undefined,
      limit: size + 1,
    });
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: items.map(({ requestId: _requestId, ...event }) => event),
      nextCursor: rows.length > size && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** Counted from the audit log (and users for sign-ups), within [from, to). */
  async loginStats(from: Date | null | undefined, to: Date | null | undefined): Promise<LoginStats> {
    const start = from ?? new Date(0);
    const end = to ?? new Date(this.clock.nowMs() + 1000);
    const events = await this.auditRows.findLoginEvents(start, end);
    const failures = new Map<string, number>();
    // Every login path writes 'login.<provider>' for a returning login and '<provider>.bind' when a
    // first login finishes at its phone step (each issues a session); refusals are 'login.failed'.
    const byMethod = new Map<LoginMethod, number>(Object.values(LoginMethod).map((m) => [m, 0]));
    let wechatLogins = 0;
    let phoneLogins = 0;
    let bindings = 0;
    for (const event of events) {
      if (event.action === 'login.failed') {
        const code = (JSON.parse(event.details ?? '{}') as { code?: string }).code ?? 'UNKNOWN';
        failures.set(code, (failures.get(code) ?? 0) + 1);
        continue;
      }
      const [kind, what] = event.action.split('.');
      const method = (kind === 'login' ? what : kind).toUpperCase() as LoginMethod;
      if (!byMethod.has(method) || (kind !== 'login' && what !== 'bind')) continue;
      byMethod.set(method, byMethod.get(method)! + 1);
      if (event.action === 'login.wechat') wechatLogins += 1;
      else if (event.action === 'login.phone') phoneLogins += 1;
      else if (what === 'bind') bindings += 1;
    }
    const newUsers = await this.userRows.countCreatedBetween(start, end);
    return {
      wechatLogins,
      phoneLogins,
      newUsers,
      bindings,
      failuresByCode: [...failures.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count })),
      loginsByMethod: [...byMethod.entries()].map(([method, count]) => ({ method, count })),
    };
  }
}
