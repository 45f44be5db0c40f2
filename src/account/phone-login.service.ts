import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { Platform } from '../common/enums';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { SignedIn, SignInService } from '../identities/sign-in.service';
import { parseMobilePhone } from '../users/phone-number';
import { SmsCodesService } from '../sms/sms-codes.service';

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
    private readonly smsCodes: SmsCodesService,
    private readonly audit: AuditService,
    private readonly signIn: SignInService,
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
  async login(request: PhoneLoginRequest, meta: RequestMeta): Promise<SignedIn> {
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
        return this.signIn.signInByPhone(phone, 'PHONE', request, meta);
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
}
