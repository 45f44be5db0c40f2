import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { IdentitiesModule } from '../identities/identities.module';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { ProviderEventEffects } from './provider-event-effects.service';
import { WechatAuthorizationEvents } from './wechat-authorization-events';

/** What the providers' events do to accounts: the handlers, registered in the inbox, and their effects. */
@Module({
  imports: [ProviderEventsModule, AccountModule, IdentitiesModule, SessionsModule, UsersModule],
  providers: [ProviderEventEffects, WechatAuthorizationEvents],
})
export class AccountEventsModule {}
