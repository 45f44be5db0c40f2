import { Global, Module } from '@nestjs/common';
import { OutboxDrainer } from './outbox-drainer.service';
import { OutboxHandlers } from './outbox-handlers';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

// Global: any feature writes into the outbox in its own transaction and may register a handler.
@Global()
@Module({
  providers: [OutboxRepository, OutboxService, OutboxHandlers, OutboxDrainer],
  exports: [OutboxRepository, OutboxService, OutboxHandlers, OutboxDrainer],
})
export class OutboxModule {}
