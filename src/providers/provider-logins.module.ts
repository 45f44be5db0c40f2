import { Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { CarrierLoginService } from './carrier/carrier-login.service';
import { ProviderLoginsResolver } from './provider-logins.resolver';

/** Carrier one-tap: the carrier verifies the SIM's number (ProvidersModule's client), then the phone sign-in. */
@Module({
  imports: [IdentitiesModule, UsersModule, SmsModule],
  providers: [CarrierLoginService, ProviderLoginsResolver],
})
export class ProviderLoginsModule {}
