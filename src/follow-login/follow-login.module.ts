import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { FOLLOW_SCAN_LISTENER } from '../connectors/wechat/follow-scan.listener';
import { WechatFollowEvents } from '../connectors/wechat/wechat-follow-events';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { QrLoginModule } from '../qr-login/qr-login.module';
import { WechatAuthModule } from '../wechat/wechat-auth.module';
import { FollowLoginResolver } from './follow-login.resolver';
import { FollowLoginService } from './follow-login.service';

/**
 * Follow login joins WeChat's side (the parametric QR code, the subscribe/SCAN events from the inbox,
 * the follower's identity) to the QR login store (the page's poll and its one hand-out).
 */
@Module({
  imports: [QrLoginModule, ConnectorsModule, WechatAuthModule, ProviderEventsModule],
  providers: [
    FollowLoginService,
    FollowLoginResolver,
    WechatFollowEvents,
    { provide: FOLLOW_SCAN_LISTENER, useExisting: FollowLoginService },
  ],
})
export class FollowLoginModule {}
