import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { Platform } from '../../common/enums';
import { RequestMeta } from '../../common/request-meta';
import { AppConfig } from '../../config/app-config.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { PhoneBindingService } from '../../identities/phone-binding.service';
import { SignedIn, SignInService } from '../../identities/sign-in.service';
import { parseMobilePhone } from '../../users/phone-number';
import { CounterRule, HitCounter } from '../../rate-limits/hit-counter';
import { sha256Hex } from '../../common/secrets';
import { CarrierClient } from './carrier.client';

/**
 * Carrier one-tap: the SDK's one-time token → the SIM's own number (GetMobile), then exactly the
 * rules of an SMS-verified phone: log in (or sign up), or bind to a first login's ticket. A bad or
 * used token answers CARRIER_TOKEN_INVALID so the app falls back to SMS. Its own limits per IP and
 * per device come first: every GetMobile is billed.
 */
@Injectable()
export class CarrierLoginService {
  private readonly regions: string[];
  private readonly limits: AppConfig['values']['carrierLimits'];

  constructor(
    private readonly carrier: CarrierClient,
    private readonly signIn: SignInService,
    private readonly binding: PhoneBindingService,
    private readonly counter: HitCounter,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
    this.limits = config.get('carrierLimits');
  }

  async login(
    input: { token: string; deviceId?: string | null; platform?: Platform | null },
    meta: RequestMeta,
  ): Promise<SignedIn> {
    return this.audit.failuresOf('CARRIER', meta, async () => {
      const phone = await this.phoneOf(input.token, input.deviceId ?? null, meta);
      return this.signIn.signInByPhone(phone, 'CARRIER', input, meta);
    });
  }

  async bindPhone(
    input: { bindTicket: string; token: string; deviceId?: string | null },
    meta: RequestMeta,
  ): Promise<SignedIn> {
    return this.audit.failuresOf('CARRIER', meta, async () => {
      const { ticket } = await this.binding.openTicket(input.bindTicket);
      const phone = await this.phoneOf(input.token, input.deviceId ?? null, meta);
      return this.binding.bindVerifiedPhone(ticket, phone, input, meta);
    });
  }

  private async phoneOf(token: string, deviceId: string | null, meta: RequestMeta): Promise<string> {
    if (!this.carrier.configured) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    if (!token.trim()) throw DomainError.badInput('token', 'empty');
    await this.takeAttempt(deviceId, meta);
    const mobile = await this.carrier.getMobile(token);
    return parseMobilePhone(mobile, this.regions);
  }

  /** One attempt against the carrier limits, shared by every instance (no hot counter row). */
  private async takeAttempt(deviceId: string | null, meta: RequestMeta): Promise<void> {
    const rules: CounterRule[] = [];
    if (meta.ip) rules.push({ bucket: `carrier:ip:${meta.ip}`, limit: this.limits.perIpPerMinute, windowSeconds: 60 });
    if (deviceId) {
      rules.push({
        bucket: `carrier:device:${sha256Hex(deviceId)}`,
        limit: this.limits.perDevicePerHour,
        windowSeconds: 3600,
      });
    }
    if (rules.length === 0) return;
    const { taken, states } = await this.counter.take(rules, this.clock.nowMs());
    if (!taken) {
      const retryAfterSeconds = Math.max(...states.filter((s) => s.full).map((s) => s.retryAfterSeconds));
      throw new DomainError(ErrorCode.TOO_MANY_REQUESTS, undefined, { retryAfterSeconds });
    }
  }
}
