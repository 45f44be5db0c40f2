import { Module } from '@nestjs/common';
import { AccountDeletionModule } from '../account/account-deletion.module';
import { IdentitiesModule } from '../identities/identities.module';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AppleNotifications, AppleNotificationsController } from './apple-notifications';
import { ProvidersModule } from '../providers/providers.module';
import { HuaweiEvents, HuaweiEventsController } from './huawei-events';
import { PhoneChangeEffect } from './phone-change-effect.service';
import { ReceiverRateLimit } from './receiver-rate-limit';
import { ProviderEventEffects } from './provider-event-effects.service';
import { WechatAuthorizationEvents } from './wechat-authorization-events';

/** What the providers' events do to accounts: the handlers, registered in the inbox, and their effects. */
@Module({
  imports: [
    ProviderEventsModule,
    ProvidersModule,
    AccountDeletionModule,
    IdentitiesModule,
    SessionsModule,
    UsersModule,
  ],
  controllers: [AppleNotificationsController, HuaweiEventsController],
  providers: [
    ProviderEventEffects,
    WechatAuthorizationEvents,
    AppleNotifications,
    HuaweiEvents,
    PhoneChangeEffect,
    ReceiverRateLimit,
  ],
})
export class AccountEventsModule {}
