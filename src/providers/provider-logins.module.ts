import { Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module';
import { PhoneLoginModule } from '../users/phone-login.module';
import { SmsModule } from '../users/sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AppleLoginService } from './apple/apple-login.service';
import { CarrierLoginService } from './carrier/carrier-login.service';
import { HuaweiLoginService } from './huawei/huawei-login.service';
import { ProviderLoginsResolver } from './provider-logins.resolver';

/**
 * The login mutations of Apple, Huawei and the carrier: each provider verifies what the client
 * brought (ProvidersModule's clients) and hands it to the one account-linking path (IdentitiesModule).
 */
@Module({
  imports: [IdentitiesModule, PhoneLoginModule, UsersModule, SmsModule],
  providers: [AppleLoginService, HuaweiLoginService, CarrierLoginService, ProviderLoginsResolver],
})
export class ProviderLoginsModule {}
