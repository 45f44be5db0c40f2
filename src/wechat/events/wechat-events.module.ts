import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { text } from 'express';
import { ProviderEventsModule } from '../../provider-events/provider-events.module';
import { WechatEventReceiver } from './wechat-event-receiver.service';
import { WechatEventsController } from './wechat-events.controller';

// One event is a few kilobytes; WeChat sends text/xml.
const BODY_LIMIT = '64kb';
const XML_TYPES = ['text/xml', 'application/xml', 'text/plain'];

/** WeChat's message server: the receiver (handshake and pushes) in front of the provider events' inbox. */
@Module({
  imports: [ProviderEventsModule],
  controllers: [WechatEventsController],
  providers: [WechatEventReceiver],
})
export class WechatEventsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(text({ type: XML_TYPES, limit: BODY_LIMIT }))
      .forRoutes({ path: 'providers/wechat/events/*path', method: RequestMethod.POST });
  }
}
