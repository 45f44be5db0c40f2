import { Injectable } from '@nestjs/common';
import type { RequestMeta } from '../../common/request-meta';
import { Database } from '../../database/database.service';
import { AccountLinkingService, BindTicket } from '../../identities/account-linking.service';
import { WechatFollowService } from '../../wechat/wechat-follow.service';

export type FollowerOutcome = { userId: string } | { bindTicket: BindTicket };

// The event comes from WeChat's servers, not from the person's device.
const FROM_WECHAT: RequestMeta = { ip: null, userAgent: null };

/**
 * Follow login: who is the person an official account's event names? Their unionid through
 * `/cgi-bin/user/info`, then the one account-linking path (AccountLinkingService.resolve), without a
 * session: a user (known, linked by unionid, or new when REQUIRE_PHONE=false) or a bind ticket for a
 * new person. A banned user is refused (USER_BANNED) and nothing is written.
 */
@Injectable()
export class WechatFollowerResolver {
  constructor(
    private readonly follow: WechatFollowService,
    private readonly linking: AccountLinkingService,
    private readonly database: Database,
  ) {}

  async resolveFollower(appId: string, openid: string, meta: RequestMeta = FROM_WECHAT): Promise<FollowerOutcome> {
    const info = await this.follow.followerInfo(appId, openid);
    const verified = {
      provider: 'wechat' as const,
      appId,
      subject: info.openid,
      unionid: info.unionid,
      channel: 'official_account' as const,
      profile: {},
    };
    const outcome = await this.database.transaction((manager) =>
      this.linking.resolve(manager, verified, { deviceId: null }, meta),
    );
    return outcome.userId ? { userId: outcome.userId } : { bindTicket: outcome.bindTicket! };
  }
}
