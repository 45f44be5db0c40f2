import { Global, Module } from '@nestjs/common';
import { SmsModule } from '../sms/sms.module';
import { ConnectorsModule } from '../connectors/connectors.module';
import { WechatAuthModule } from '../wechat/wechat-auth.module';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  imports: [WechatAuthModule, ConnectorsModule, SmsModule, ProviderEventsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
