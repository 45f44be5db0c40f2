import { Global, Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { WebhookEvents } from './webhook-events';
import { WebhookSender } from './webhook-sender';
import { WebhooksResolver } from './webhooks.resolver';
import { WebhooksService } from './webhooks.service';

// Global: the places where users, identities, phones and sessions change emit through WebhookEvents.
@Global()
@Module({
  imports: [OutboxModule],
  providers: [WebhookEvents, WebhookSender, WebhooksService, WebhooksResolver],
  exports: [WebhookEvents, WebhookSender],
})
export class WebhooksModule {}
