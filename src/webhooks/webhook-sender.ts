import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Webhook } from 'standardwebhooks';
import type { WebhooksSettings } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { SANDBOX_WEBHOOK_ENDPOINT } from '../config/areas/webhooks.config';
import { OutboundClient } from '../outbound/outbound-client';
import { outcomeOf, ProviderNotSentError, ProviderUnavailableError } from '../outbound/provider-call-error';
import { OutboxHandlers, OutboxTry } from '../outbox/outbox-handlers';
import type { OutboxRow } from '../outbox/outbox.repository';
import { WEBHOOK_KIND } from './webhook-events';

export const SANDBOX_WEBHOOK_RECEIVER_PATH = '/sandbox/webhooks/receive';
const TIMEOUT_MS = 10_000;
const BUDGET_MS = 15_000;

/**
 * Sends one webhook delivery as the Standard Webhooks specification says: the stored JSON body as it
 * is, `webhook-id` (the delivery's id, the same on every retry), `webhook-timestamp` (this try's Unix
 * seconds) and `webhook-signature` (v1, HMAC-SHA256 over "<id>.<timestamp>.<body>" with the secret),
 * signed by the specification's own npm package, `standardwebhooks`. Through the outbound kit (pool,
 * timeouts, a breaker per endpoint). A 2xx ends it; any other answer or no answer is tried again.
 */
@Injectable()
export class WebhookSender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly settings: WebhooksSettings;
  private readonly signer: Webhook | null;
  private readonly outbound: OutboundClient;

  constructor(
    private readonly handlers: OutboxHandlers,
    config: AppConfig,
    httpAdapterHost: HttpAdapterHost,
  ) {
    this.settings = config.get('webhooks');
    this.signer = this.settings.secret ? new Webhook(this.settings.secret) : null;
    this.outbound = new OutboundClient({
      name: WebhookSender.name,
      timeoutMs: TIMEOUT_MS,
      budgetMs: BUDGET_MS,
      httpAdapterHost,
    });
  }

  onModuleInit(): void {
    this.handlers.register(WEBHOOK_KIND, (message) => this.send(message));
  }

  onModuleDestroy(): Promise<void> {
    return this.outbound.close();
  }

  /** Feeds metrics: each try's outcome (ok, http_500, timeout, ...). */
  set onCall(hook: OutboundClient['onCall']) {
    this.outbound.onCall = hook;
  }

  async send(message: OutboxRow): Promise<OutboxTry> {
    // An endpoint taken out of WEBHOOK_URL (or a secret gone) since the delivery was written.
    if (!this.signer || !message.endpoint || !this.settings.endpoints.includes(message.endpoint)) {
      return { ok: false, error: 'endpoint_removed', final: true };
    }
    const signer = this.signer;
    const endpoint = message.endpoint;
    const target = { provider: 'webhooks' as const, app: endpoint };
    try {
      return await this.outbound.run(target, 'once', async (signal) => {
        const url =
          endpoint === SANDBOX_WEBHOOK_ENDPOINT
            ? this.outbound.localBase('webhooks', SANDBOX_WEBHOOK_RECEIVER_PATH)
            : endpoint;
        // The real time, not the movable clock: receivers check it against their own (5 minutes).
        const sentAt = new Date();
        const headers = {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, sentAt, message.payload),
        };
        const answer = await this.outbound.send(
          'webhooks',
          message.type,
          { method: 'POST', url, raw: message.payload, headers },
          signal,
        );
        const ok = answer.status >= 200 && answer.status < 300;
        this.outbound.report('webhooks', message.type, ok ? 'ok' : `http_${answer.status}`, answer.started);
        return ok
          ? { ok: true as const, statusCode: answer.status }
          : { ok: false as const, statusCode: answer.status, error: `http_${answer.status}` };
      });
    } catch (error) {
      if (error instanceof ProviderUnavailableError || error instanceof ProviderNotSentError) {
        return { ok: false, error: outcomeOf(error) };
      }
      this.logger.warn(`webhook ${message.id} not sent: ${(error as Error).name}`);
      return { ok: false, error: 'error' };
    }
  }
}
