import { Module } from '@nestjs/common';
import { ProviderEventHandlers } from './provider-event-handlers';
import { ProviderEventInbox } from './provider-event-inbox.service';
import { ProviderEventsRepository } from './provider-events.repository';

/** The inbox of provider events and its handler registry (receivers store, connectors register handlers). */
@Module({
  providers: [ProviderEventsRepository, ProviderEventHandlers, ProviderEventInbox],
  exports: [ProviderEventsRepository, ProviderEventHandlers, ProviderEventInbox],
})
export class ProviderEventsModule {}
