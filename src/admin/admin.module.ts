import { Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { WechatAuthModule } from '../wechat/wechat-auth.module';
import { AdminResolver } from './admin.resolver';
import { AdminService } from './admin.service';

@Module({
  imports: [SessionsModule, WechatAuthModule, IdentitiesModule],
  providers: [AdminService, AdminResolver],
})
export class AdminModule {}
