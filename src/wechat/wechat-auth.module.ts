import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module';
import { AccountLinkingModule } from '../users/account-linking.service';
import { SmsModule } from '../users/sms/sms.module';
import { UsersModule } from '../users/users.module';
import { BindTicketsModule } from './bind-tickets.service';
import { CodeExchangesService } from './code-exchanges.service';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateEntity } from './entities/login-state.entity';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { WechatIdentityEntity } from './entities/wechat-identity.entity';
import { IdentitiesService } from './identities.service';
import { LoginOptionsResolver } from './login-options.resolver';
import { LoginOptionsService } from './login-options.service';
import { LoginStateStore } from './login-state.store';
import { TokenCipher } from './token-cipher';
import { WechatApiClient } from './wechat-api.client';
import { WechatAuthResolver } from './wechat-auth.resolver';
import { WechatAuthorizer } from './wechat-authorizer.service';
import { WechatCodeGuard } from './wechat-code.guard';
import { WechatLoginService } from './wechat-login.service';
import { WechatStrategy } from './wechat.strategy';
import { TokenRefreshService } from './token-refresh.service';

/** Log in with WeChat: the API client, the Passport strategy, states, codes, identities and grants. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WechatIdentityEntity, WechatGrantEntity, LoginStateEntity, CodeExchangeEntity]),
    PassportModule,
    UsersModule,
    SessionsModule,
    SmsModule,
    BindTicketsModule,
    AccountLinkingModule,
  ],
  providers: [
    LoginOptionsService,
    LoginOptionsResolver,
    WechatApiClient,
    TokenCipher,
    LoginStateStore,
    CodeExchangesService,
    IdentitiesService,
    WechatStrategy,
    WechatAuthorizer,
    WechatCodeGuard,
    WechatLoginService,
    WechatAuthResolver,
    TokenRefreshService,
  ],
  exports: [WechatApiClient, IdentitiesService, TokenCipher, TokenRefreshService],
})
export class WechatAuthModule {}
