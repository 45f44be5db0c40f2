import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { IdentitiesModule } from '../identities/identities.module';
import { PhoneLoginService } from './phone-login.service';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountResolver } from './account.resolver';
import { AccountDeletionModule } from './account-deletion.module';
import { MyAccountDeletionService } from './my-account-deletion.service';
import { PersonalDataRepository } from './personal-data.repository';
import { PersonalDataResolver } from './personal-data.resolver';
import { PersonalDataService } from './personal-data.service';
import { ConnectorsModule } from '../connectors/connectors.module';

/**
 * Phone login, SMS code requests (bind codes included) and account deletion (confirmed by SMS or by a
 * provider's proof: ConnectorsModule's reauthentication, the one import of this module upwards).
 */
@Module({
  imports: [UsersModule, SessionsModule, SmsModule, IdentitiesModule, ConnectorsModule, AccountDeletionModule],
  providers: [
    PhoneLoginService,
    MyAccountDeletionService,
    AccountResolver,
    PersonalDataRepository,
    PersonalDataService,
    PersonalDataResolver,
  ],
  exports: [PhoneLoginService],
})
export class AccountModule {}
