import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SmsModule } from '../users/sms/sms.module';
import { AppTokensService } from './app-tokens.service';
import { CHANNEL_STRATEGIES } from './channels';
import { CodeExchangesRepository } from './code-exchanges.repository';
import { CodeExchangesService } from './code-exchanges.service';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateEntity } from './entities/login-state.entity';
import { WechatAppTokenEntity } from './entities/wechat-app-token.entity';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { WechatPhoneCallEntity } from './entities/wechat-phone-call.entity';
import { LoginStateStore } from './login-state.store';
import { MiniProgramPhoneService } from './mini-program-phone.service';
import { PhoneCallSlotsRepository } from './phone-call-slots.repository';
import { TokenRefreshService } from './token-refresh.service';
import { WechatApiClient } from './wechat-api.client';
import { WechatAppTokensRepository } from './wechat-app-tokens.repository';
import { WechatAuthResolver } from './wechat-auth.resolver';
import { WechatGrantsRepository } from './wechat-grants.repository';
import { WechatGrantsService } from './wechat-grants.service';
import { WechatLoginService } from './wechat-login.service';
import { WechatReloginService } from './wechat-relogin.service';

/**
 * Log in with WeChat on every channel: the API client, one Passport strategy per channel, states,
 * code idempotency, grants and their refresh job, the mini-program phone button. Identities and who
 * they belong to are IdentitiesModule's (the one account-linking path).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      WechatGrantEntity,
      LoginStateEntity,
      CodeExchangeEntity,
      WechatAppTokenEntity,
      WechatPhoneCallEntity,
    ]),
    PassportModule,
    IdentitiesModule,
    SessionsModule,
    // The refresh job's per-minute budget is a shared counter (RateLimits).
    SmsModule,
  ],
  providers: [
    WechatApiClient,
    ...CHANNEL_STRATEGIES,
    CodeExchangesRepository,
    LoginStateStore,
    CodeExchangesService,
    WechatGrantsRepository,
    WechatGrantsService,
    WechatLoginService,
    WechatReloginService,
    WechatAppTokensRepository,
    AppTokensService,
    MiniProgramPhoneService,
    PhoneCallSlotsRepository,
    WechatAuthResolver,
    TokenRefreshService,
  ],
  exports: [
    WechatApiClient,
    WechatGrantsRepository,
    WechatGrantsService,
    TokenRefreshService,
    MiniProgramPhoneService,
    WechatLoginService,
  ],
})
export class WechatAuthModule {}
