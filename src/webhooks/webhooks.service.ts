import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { OutboxRepository, OutboxStatus } from '../outbox/outbox.repository';
import { WebhookEvents } from './webhook-events';
import { toWebhookDelivery, WebhookDelivery } from './models/webhook-delivery.model';

const STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed'];
const MAX_PAGE = 100;

/** The admins' view of webhook deliveries, and redelivery (same id, a full schedule again). */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly events: WebhookEvents,
    private readonly rows: OutboxRepository,
    private readonly database: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async deliveries(first: number | null | undefined, status: string | null | undefined): Promise<WebhookDelivery[]> {
    this.requireConfigured();
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw DomainError.badInput('first', `1 to ${MAX_PAGE}`);
    if (status && !STATUSES.includes(status as OutboxStatus)) {
      throw DomainError.badInput('status', STATUSES.join(', '));
    }
    const rows = await this.rows.listWebhooks(size, (status as OutboxStatus | undefined) || null);
    return rows.map(toWebhookDelivery);
  }

  /** A delivered or failed delivery goes back to pending; a pending one is answered as it is. */
  async redeliver(id: string, actor: { userId: string; ip: string | null }): Promise<WebhookDelivery> {
    this.requireConfigured();
    return this.database.transaction(async (manager) => {
      const now = this.clock.now();
      const again = await this.rows.redeliver(manager, id, now);
      const row = await this.rows.findWebhook(manager, id);
      if (!row) throw DomainError.badInput('id', 'no webhook delivery with this id');
      if (again) {
        await this.audit.record(
          {
            action: 'admin.redeliver_webhook',
            actorUserId: actor.userId,
            ip: actor.ip,
            details: { id, type: row.type },
          },
          manager,
        );
      }
      return toWebhookDelivery(row);
    });
  }

  private requireConfigured(): void {
    if (!this.events.enabled) throw new DomainError(ErrorCode.WEBHOOK_NOT_CONFIGURED);
  }
}
