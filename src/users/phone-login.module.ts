import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { BindTicketsModule } from '../wechat/bind-tickets.service';
import { PhoneLoginService } from './phone-login.service';
import { SmsModule } from './sms/sms.module';
import { UsersModule } from './users.module';
import { UsersResolver } from './users.resolver';

/** Phone login, SMS code requests (bind codes included) and account deletion. */
@Module({
  imports: [UsersModule, SessionsModule, SmsModule, BindTicketsModule],
  providers: [PhoneLoginService, UsersResolver],
  exports: [PhoneLoginService],
})
export class PhoneLoginModule {}
