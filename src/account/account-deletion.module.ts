import { Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountDeletionService } from './account-deletion.service';

/** The deletion cascade alone, for whoever deletes an account (deleteMyAccount, provider events). */
@Module({
  imports: [UsersModule, SessionsModule, SmsModule, IdentitiesModule],
  providers: [AccountDeletionService],
  exports: [AccountDeletionService],
})
export class AccountDeletionModule {}
