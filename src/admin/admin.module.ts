import { Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { WechatAuthModule } from '../wechat/wechat-auth.module';
import { AdminResolver } from './admin.resolver';
import { AdminModerationService } from './admin-moderation.service';
import { AdminReportsService } from './admin-reports.service';
import { AdminUsersService } from './admin-users.service';

@Module({
  imports: [SessionsModule, WechatAuthModule, IdentitiesModule, UsersModule],
  providers: [AdminUsersService, AdminModerationService, AdminReportsService, AdminResolver],
})
export class AdminModule {}
