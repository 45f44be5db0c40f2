import { Module } from '@nestjs/common';
import { LoginOptionsResolver } from './login-options.resolver';
import { LoginOptionsService } from './login-options.service';

@Module({
  providers: [LoginOptionsService, LoginOptionsResolver],
})
export class WechatAuthModule {}
