import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { IdentitiesModule } from '../identities/identities.module';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AppleNotifications, AppleNotificationsController } from './apple-notifications';
import { ProvidersModule } from '../providers/providers.module';
import { ProviderEventEffects } from './provider-event-effects.service';
import { WechatAuthorizationEvents } from './wechat-authorization-events';

/** What the providers' events do to accounts: the handlers, registered in the inbox, and their effects. */
@Module({
  imports: [ProviderEventsModule, ProvidersModule, AccountModule, IdentitiesModule, SessionsModule, UsersModule],
  controllers: [AppleNotificationsController],
  providers: [ProviderEventEffects, WechatAuthorizationEvents, AppleNotifications],
})
export class AccountEventsModule {}
