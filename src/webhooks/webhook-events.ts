import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { WebhooksSettings } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import type { SqlTarget } from '../database/sql';
import { OutboxService } from '../outbox/outbox.service';

/**
 * The events the app backend receives (docs/webhooks.md), each with exactly its data. Ids and a phone
 * number only: never a token, a code or a secret.
 */
export interface WebhookEventData {
  'user.created': { userId: string };
  'user.deleted': { userId: string };
  'user.banned': { userId: string };
  'user.merged': { fromUserId: string; intoUserId: string };
  'identity.linked': { userId: string; provider: string; appId: string };
  'identity.unlinked': { userId: string; provider: string; appId: string };
  'phone.changed': { userId: string; phone: string };
  'sessions.revoked': { userId: string; sessionIds: string[] };
}

export type WebhookEventType = keyof WebhookEventData;

export const WEBHOOK_KIND = 'webhook';

/**
 * Emits webhooks into the outbox, inside the caller's transaction: `emit(manager, 'user.deleted',
 * { userId })`. With no endpoint configured it writes nothing (no statement at all). The body is fixed
 * here, so that every retry sends the same bytes under the same webhook-id.
 */
@Injectable()
export class WebhookEvents {
  private readonly settings: WebhooksSettings;

  constructor(
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.get('webhooks');
  }

  get enabled(): boolean {
    return this.settings.endpoints.length > 0;
  }

  async emit<T extends WebhookEventType>(target: SqlTarget, type: T, data: WebhookEventData[T]): Promise<void> {
    if (!this.enabled) return;
    const body = JSON.stringify({ type, timestamp: this.clock.now().toISOString(), data });
    const orderingKey = 'userId' in data ? data.userId : (data as { intoUserId: string }).intoUserId;
    await this.outbox.add(target, {
      kind: WEBHOOK_KIND,
      type,
      payload: body,
      endpoints: this.settings.endpoints,
      orderingKey,
    });
  }
}
