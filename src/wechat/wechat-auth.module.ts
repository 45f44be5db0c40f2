import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HealthModule } from '../health/health.module';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AppTokensService } from './app-tokens.service';
import { WechatAppTokenEntity } from './entities/wechat-app-token.entity';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { WechatPhoneCallEntity } from './entities/wechat-phone-call.entity';
import { MiniProgramPhoneService } from './mini-program-phone.service';
import { PhoneCallSlotsRepository } from './phone-call-slots.repository';
import { TokenRefreshService } from './token-refresh.service';
import { WechatApiClient } from './wechat-api.client';
import { WechatAppTokensRepository } from './wechat-app-tokens.repository';
import { WechatAuthResolver } from './wechat-auth.resolver';
import { WechatFollowService } from './wechat-follow.service';
import { WechatGrantsRepository } from './wechat-grants.repository';
import { WechatGrantsService } from './wechat-grants.service';
import { WechatReloginService } from './wechat-relogin.service';

/**
 * WeChat beyond the login itself (ConnectorsModule's): the API client, app-level tokens, grants and
 * their refresh job, re-login, and the mini-program phone button.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WechatGrantEntity, WechatAppTokenEntity, WechatPhoneCallEntity]),
    IdentitiesModule,
    SessionsModule,
    // The refresh job yields to the requests in flight (RequestLoad).
    HealthModule,
  ],
  providers: [
    WechatApiClient,
    WechatGrantsRepository,
    WechatGrantsService,
    WechatReloginService,
    WechatAppTokensRepository,
    AppTokensService,
    MiniProgramPhoneService,
    PhoneCallSlotsRepository,
    WechatAuthResolver,
    TokenRefreshService,
    WechatFollowService,
  ],
  exports: [
    WechatApiClient,
    WechatGrantsRepository,
    WechatGrantsService,
    TokenRefreshService,
    MiniProgramPhoneService,
    WechatFollowService,
  ],
})
export class WechatAuthModule {}
