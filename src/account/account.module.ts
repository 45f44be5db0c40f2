import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { IdentitiesModule } from '../identities/identities.module';
import { AccountErasure } from './account-erasure.service';
import { PhoneLoginService } from './phone-login.service';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountResolver } from './account.resolver';

/** Phone login, SMS code requests (bind codes included) and account deletion. */
@Module({
  imports: [UsersModule, SessionsModule, SmsModule, IdentitiesModule],
  providers: [PhoneLoginService, AccountErasure, AccountResolver],
  exports: [PhoneLoginService, AccountErasure],
})
export class AccountModule {}
