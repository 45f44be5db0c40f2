import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { Platform } from '../common/enums';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AccountLinkingService } from '../identities/account-linking.service';
import { IdentityRevocations } from '../identities/identity-revocations';
import { IssuedTokens, SessionsService } from '../sessions/sessions.service';
import { parseMobilePhone } from './phone-number';
import { SmsCodesService } from './sms/sms-codes.service';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

export interface PhoneLoginRequest {
  phone: string;
  smsCode: string;
  deviceId?: string | null;
  platform?: Platform | null;
  /** A solved captcha, when the last answer was CAPTCHA_REQUIRED. */
  captchaToken?: string | null;
}

@Injectable()
export class PhoneLoginService {
  private readonly regions: string[];

  constructor(
    private readonly database: Database,
    private readonly smsCodes: SmsCodesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly linking: AccountLinkingService,
    private readonly revocations: IdentityRevocations,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
  }

  parsePhone(input: string): string {
    return parseMobilePhone(input, this.regions);
  }

  /**
   * Logs in by phone and SMS code, creating the user on first login. The code is given back when
   * the login fails retryably after consuming it (SmsCodesService.redeem), so the retry can use it.
   */
  async login(request: PhoneLoginRequest, meta: RequestMeta): Promise<{ tokens: IssuedTokens; user: UserEntity }> {
    const phone = this.parsePhone(request.phone);
    const check = {
      phone,
      purpose: 'LOGIN' as const,
      code: request.smsCode,
      source: { ip: meta.ip, deviceId: request.deviceId, captchaToken: request.captchaToken },
    };
    let verified = false;
    try {
      return await this.smsCodes.redeem(check, () => {
        verified = true;
        return this.loginVerifiedPhone(phone, 'PHONE', request, meta);
      });
    } catch (error) {
      if (!verified && error instanceof DomainError) {
        await this.audit.record({
          action: 'login.failed',
          ip: meta.ip,
          details: { method: 'PHONE', code: error.code, phone: maskPhone(phone) },
        });
      }
      throw error;
    }
  }

  /**
   * Logs in the owner of a phone someone has verified (an SMS code here, the carrier for one-tap),
   * creating the user on first login.
   */
  async loginVerifiedPhone(
    phone: string,
    method: 'PHONE' | 'CARRIER',
    device: { deviceId?: string | null; platform?: Platform | null },
    meta: RequestMeta,
  ): Promise<{ tokens: IssuedTokens; user: UserEntity }> {
    // Autocommit statements, no transaction: each stands on its own. The user row is found or
    // created first (a retry finds it), then the session, then the audit row; a failure after the
    // session leaves a session whose tokens were never handed out, and the call fails.
    const sql = this.database.sql;
    const { user, created } = await this.users.loginByPhone(sql, phone);
    if (user.status === 'banned') {
      const banned = new DomainError(ErrorCode.USER_BANNED);
      await this.audit.recordLoginFailure(banned, method, meta, { userId: user.id });
      throw banned;
    }
    const tokens = await this.sessions.issue(sql, user, {
      method,
      deviceId: device.deviceId,
      platform: device.platform,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    await this.audit.record({
      action: method === 'PHONE' ? 'login.phone' : 'login.carrier',
      actorUserId: user.id,
      subjectUserId: user.id,
      ip: meta.ip,
      details: { method, newUser: created, phone: maskPhone(phone), platform: device.platform ?? null },
    });
    return { tokens, user };
  }

  /**
   * PIPL: sessions revoked and stripped of IP, user agent and device, every identity (and WeChat
   * grant) removed and revoked at the provider where it allows, personal fields erased, the phone's
   * SMS codes dropped (they would otherwise keep the number for two more days; counter keys hold only
   * hashes); the audit event (masked phone) stays.
   */
  async deleteAccount(
    userId: string,
    confirmation: { smsCode: string; captchaToken?: string | null },
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
    if (!user.phone) throw DomainError.badInput('smsCode', 'this account has no phone number to confirm with');
    const check = {
      phone: user.phone,
      purpose: 'DELETE_ACCOUNT' as const,
      code: confirmation.smsCode,
      source: { ip: meta.ip, captchaToken: confirmation.captchaToken },
      // Signed in as the phone's user: the code is theirs from wherever they confirm.
      owner: true,
    };
    const removed = await this.smsCodes.redeem(check, () =>
      this.database.transaction(async (manager) => {
        const sessions = await this.sessions.revokeAllForUser(manager, userId, 'account-deleted');
        await this.sessions.erasePersonalData(manager, userId);
        await manager
          .createQueryBuilder()
          .delete()
          .from('sms_codes')
          .where('phone = :phone', { phone: user.phone })
          .execute();
        const identities = await this.linking.removeAll(manager, userId);
        await this.users.erase(manager, userId);
        await this.audit.record(
          {
            action: 'account.delete',
            actorUserId: userId,
            subjectUserId: userId,
            ip: meta.ip,
            details: { phone: maskPhone(user.phone!), sessionsRevoked: sessions, identitiesRemoved: identities.length },
          },
          manager,
        );
        return identities;
      }),
    );
    // After the commit: what the providers let us revoke (Apple's refresh token, by Apple's rule).
    await this.revocations.revoke(removed);
  }
}
