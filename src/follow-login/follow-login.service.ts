import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { RequestMeta } from '../common/request-meta';
import type { FollowScan, FollowScanListener } from '../connectors/wechat/follow-scan.listener';
import { sceneDigest } from '../connectors/wechat/follow-scan.listener';
import { WechatFollowerResolver } from '../connectors/wechat/wechat-follower.resolver';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { FollowOutcome, QrFollowService } from '../qr-login/qr-follow.service';
import { WechatFollowService } from '../wechat/wechat-follow.service';
import type { FollowLogin } from './follow-login.model';

// Refusals that WeChat's retry or ours cannot change; anything else (WeChat or the database down) is
// thrown, and the inbox applies the event again later.
const TRANSIENT = new Set<ErrorCode>([
  ErrorCode.WECHAT_UNAVAILABLE,
  ErrorCode.PROVIDER_UNAVAILABLE,
  ErrorCode.INTERNAL,
]);

/**
 * Follow the official account to log in (关注公众号登录), end to end: a QR login row of the follow kind
 * and WeChat's temporary parametric QR code for its scene; then WeChat's subscribe/SCAN event for that
 * scene (through the provider-events inbox) names the person, who is resolved by the usual identity
 * rules (a user, or a bind ticket for a new person under REQUIRE_PHONE), and the page collects the
 * session or ticket with qrLoginStatus, once. State lives only in the database.
 */
@Injectable()
export class FollowLoginService implements FollowScanListener {
  private readonly logger = new Logger('FollowLogin');

  constructor(
    private readonly qr: QrFollowService,
    private readonly wechat: WechatFollowService,
    private readonly followers: WechatFollowerResolver,
    private readonly clock: Clock,
  ) {}

  /** startWechatFollowLogin: not offered without a verified service account (PROVIDER_NOT_CONFIGURED). */
  async start(deviceId: string | null, meta: RequestMeta): Promise<FollowLogin> {
    const appId = this.wechat.followAppId();
    if (!appId) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    const started = await this.qr.startFollow({ appId, deviceId, ip: meta.ip, userAgent: meta.userAgent });
    // WeChat's code lives as long as our row (rounded up): a scan after that finds nothing waiting.
    const seconds = Math.max(1, Math.ceil((started.expiresAt.getTime() - this.clock.nowMs()) / 1000));
    const code = await this.wechat.createQrCode(appId, started.scene, seconds);
    return { id: started.id, pollToken: started.pollToken, qrUrl: code.qrUrl, expiresAt: started.expiresAt };
  }

  /** A scan of one of our codes (the inbox applies each event once; throwing retries it later). */
  async onFollowScan(scan: FollowScan): Promise<void> {
    const digest = sceneDigest(scan.scene);
    if (!(await this.qr.isWaiting(scan.appId, scan.scene))) {
      this.logger.debug(`${scan.event} at ${scan.appId} for scene #${digest}: no follow login waits for it`);
      return;
    }
    let outcome: FollowOutcome;
    try {
      const follower = await this.followers.resolveFollower(scan.appId, scan.openid);
      outcome = 'userId' in follower ? { userId: follower.userId } : { bindTicket: follower.bindTicket.ticket };
    } catch (error) {
      if (!(error instanceof DomainError) || TRANSIENT.has(error.code)) throw error;
      await this.qr.refuseFollow(scan.appId, scan.scene, error.code);
      this.logger.log(`${scan.event} at ${scan.appId} for scene #${digest}: refused (${error.code})`);
      return;
    }
    const result = await this.qr.completeFollow({ appId: scan.appId, scene: scan.scene, outcome });
    this.logger.debug(`${scan.event} at ${scan.appId} for scene #${digest}: ${result}`);
  }
}
