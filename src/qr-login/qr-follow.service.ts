import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { TokenCipher } from '../common/token-cipher';
import { AppConfig } from '../config/app-config.service';
import { bindTicketContext, MAX_SECRET_LENGTH } from './qr-login-codes';
import { QrLoginsRepository } from './qr-logins.repository';

export interface StartFollowInput {
  appId: string;
  deviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export type FollowOutcome = { userId: string } | { bindTicket: string };
export type CompleteFollowResult = 'completed' | 'unknown' | 'expired' | 'already';

/**
 * The QR store's side of "follow the official account to log in" (关注公众号登录): a row per parametric
 * QR code, keyed by its app and scene, that WeChat's subscribe/SCAN event completes once. The page
 * polls it with qrLoginStatus like any QR login. WeChat's own calls live in src/connectors/wechat/.
 */
@Injectable()
export class QrFollowService {
  private readonly ttlMs: number;

  constructor(
    private readonly repository: QrLoginsRepository,
    private readonly cipher: TokenCipher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.ttlMs = config.get('qrLogin').ttlSeconds * 1000;
  }

  /** A PENDING follow login with a fresh scene: 32 URL-safe characters (WeChat allows 64), unique per app. */
  async startFollow(
    input: StartFollowInput,
  ): Promise<{ id: string; pollToken: string; scene: string; expiresAt: Date }> {
    const scene = randomToken(24);
    const pollToken = randomToken(32);
    const now = this.clock.now();
    const row = {
      id: newId(),
      kind: 'wechat_follow' as const,
      appId: input.appId,
      codeHash: sha256Hex(scene),
      pollTokenHash: sha256Hex(pollToken),
      deviceId: input.deviceId ?? null,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlMs),
    };
    // 192 random bits: a clash with a live scene is not a case to handle (the unique key would refuse it).
    await this.repository.insert(row);
    return { id: row.id, pollToken, scene, expiresAt: row.expiresAt };
  }

  /**
   * WeChat's event for this scene: PENDING -> CONFIRMED once, with the user to sign in or the bind
   * ticket of a new person (kept encrypted until the page collects it). A repeated event is 'already'.
   */
  async completeFollow(input: { appId: string; scene: string; outcome: FollowOutcome }): Promise<CompleteFollowResult> {
    if (!input.scene || input.scene.length > MAX_SECRET_LENGTH) return 'unknown';
    const sceneHash = sha256Hex(input.scene);
    const now = this.clock.now();
    const ticket = 'bindTicket' in input.outcome ? input.outcome.bindTicket : null;
    const won = await this.repository.completeFollow(
      input.appId,
      sceneHash,
      {
        userId: 'userId' in input.outcome ? input.outcome.userId : null,
        bindTicketEnc: ticket === null ? null : this.cipher.encrypt(ticket, bindTicketContext(input.appId, sceneHash)),
        bindTicketKeyId: ticket === null ? null : this.cipher.keyId,
      },
      now,
    );
    const row = won ? null : await this.repository.findByCode(input.appId, sceneHash);
    if (won) {
      const userId = 'userId' in input.outcome ? input.outcome.userId : null;
      await this.audit.record({
        action: 'qr_login.confirm',
        actorUserId: userId,
        subjectUserId: userId,
        details: { kind: 'wechat_follow', appId: input.appId, bindTicket: ticket !== null },
      });
      return 'completed';
    }
    if (!row || row.kind !== 'wechat_follow') return 'unknown';
    return row.status === 'PENDING' ? 'expired' : 'already';
  }
  /** Whether a follow login waits for this scene (PENDING, not expired); a scan of any other code is done with. */
  async isWaiting(appId: string, scene: string): Promise<boolean> {
    if (!scene || scene.length > MAX_SECRET_LENGTH) return false;
    const row = await this.repository.findByCode(appId, sha256Hex(scene));
    return row?.kind === 'wechat_follow' && row.status === 'PENDING' && row.expiresAt > this.clock.now();
  }

  /** The follower may not sign in (banned): PENDING -> CANCELLED, so the page stops waiting. */
  async refuseFollow(appId: string, scene: string, reason: string): Promise<boolean> {
    if (!scene || scene.length > MAX_SECRET_LENGTH) return false;
    const won = await this.repository.refuseFollow(appId, sha256Hex(scene), this.clock.now());
    if (won) {
      await this.audit.record({
        action: 'qr_login.refuse',
        actorUserId: null,
        subjectUserId: null,
        details: { kind: 'wechat_follow', appId, reason },
      });
    }
    return won;
  }
}
