import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.service';
import { SessionsModule } from '../sessions/sessions.module';
import { AliyunSmsSender } from './aliyun-sms.sender';
import { SmsCodeEntity } from './sms-code.entity';
import { SmsBudgetsService } from './sms-budgets.service';
import { SmsCodesRepository } from './sms-codes.repository';
import { SmsCodesService } from './sms-codes.service';
import { SANDBOX_SMS_SENDER, SmsSender } from './sms-sender';
import { TencentSmsSender } from './tencent-sms.sender';
import { WebhookSmsSender } from './webhook-sms.sender';

/** SMS one-time codes and their delivery; the provider is chosen by SMS_PROVIDER. */
@Module({
  imports: [TypeOrmModule.forFeature([SmsCodeEntity]), SessionsModule],
  providers: [
    SmsBudgetsService,
    SmsCodesRepository,
    SmsCodesService,
    {
      provide: SmsSender,
      inject: [AppConfig, { token: SANDBOX_SMS_SENDER, optional: true }],
      useFactory: (config: AppConfig, sandboxSender: SmsSender | undefined): SmsSender => {
        const sms = config.get('sms');
        switch (sms.provider) {
          case 'console':
            // Configuration refuses `console` in production; the sandbox provides this sender.
            if (!sandboxSender) throw new Error('SMS_PROVIDER=console exists only in sandbox mode');
            return sandboxSender;
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
  exports: [SmsCodesService],
})
export class SmsModule {}
