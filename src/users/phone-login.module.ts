import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { RateLimits } from '../database/rate-limits';
import { SmsOutbox } from '../sandbox/sms-outbox';
import { SessionsModule } from '../sessions/sessions.module';
import { PhoneLoginService } from './phone-login.service';
import { AliyunSmsSender } from './sms/aliyun-sms.sender';
import { ConsoleSmsSender } from './sms/console-sms.sender';
import { SmsCodeEntity } from './sms/sms-code.entity';
import { SmsCodesService } from './sms/sms-codes.service';
import { SmsSender } from './sms/sms-sender';
import { TencentSmsSender } from './sms/tencent-sms.sender';
import { WebhookSmsSender } from './sms/webhook-sms.sender';
import { UsersModule } from './users.module';
import { UsersResolver } from './users.resolver';

/** Phone login, SMS codes and account deletion. The SMS provider is chosen by SMS_PROVIDER. */
@Module({
  imports: [TypeOrmModule.forFeature([SmsCodeEntity]), UsersModule, SessionsModule],
  providers: [
    RateLimits,
    SmsCodesService,
    PhoneLoginService,
    UsersResolver,
    {
      provide: SmsSender,
      inject: [AppConfig, Clock, SmsOutbox],
      useFactory: (config: AppConfig, clock: Clock, outbox: SmsOutbox): SmsSender => {
        const sms = config.get('sms');
        switch (sms.provider) {
          case 'console':
            return new ConsoleSmsSender(outbox, clock, sms.consoleLogCodes);
          case 'webhook':
            return new WebhookSmsSender(sms.webhook!.url, sms.webhook!.secret);
          case 'tencent':
            return new TencentSmsSender(sms.tencent!);
          case 'aliyun':
            return new AliyunSmsSender(sms.aliyun!);
        }
      },
    },
  ],
  exports: [SmsCodesService, PhoneLoginService],
})
export class PhoneLoginModule {}
