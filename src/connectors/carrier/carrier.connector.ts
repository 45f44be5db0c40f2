import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { sha256Hex } from '../../common/secrets';
import { AppConfig } from '../../config/app-config.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { CarrierClient } from '../../providers/carrier/carrier.client';
import { CounterRule, HitCounter } from '../../rate-limits/hit-counter';
import { parseMobilePhone } from '../../users/phone-number';
import { Connector, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';

/** What the carrier's SDK gave the app, and who asks (its limits come first: every GetMobile is billed). */
export interface CarrierInput {
  token: string;
  deviceId?: string | null;
  ip: string | null;
}

/** A phone number the carrier verified: the SIM's own. */
export interface VerifiedPhone {
  phone: string;
}

/**
 * Carrier one-tap (本机号码一键登录): the SDK's one-time token → the SIM's own number (Alibaba
 * Cloud's GetMobile). It verifies a phone, not an identity: the sign-in core then applies exactly the
 * rules of an SMS-verified phone. A bad or used token is CARRIER_TOKEN_INVALID (the app falls back to
 * SMS).
 */
@Injectable()
export class CarrierConnector extends Connector {
  static readonly id = 'carrier';
  private readonly regions: string[];
  private readonly limits: AppConfig['values']['carrierLimits'];

  constructor(
    registry: ConnectorRegistry,
    private readonly carrier: CarrierClient,
    private readonly counter: HitCounter,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(CarrierConnector.id, registry);
    this.regions = config.get('allowedPhoneRegions');
    this.limits = config.get('carrierLimits');
  }

  override appFor(): string | null {
    return this.carrier.configured ? CarrierConnector.id : null;
  }

  protected override async verify({ input }: VerifyRequest<CarrierInput>): Promise<string> {
    if (!input.token.trim()) throw DomainError.badInput('token', 'empty');
    await this.takeAttempt(input.deviceId ?? null, input.ip);
    return this.carrier.getMobile(input.token);
  }

  validate(mobile: string): VerifiedPhone {
    return { phone: parseMobilePhone(mobile, this.regions) };
  }

  /** One attempt against the carrier limits, shared by every instance (no hot counter row). */
  private async takeAttempt(deviceId: string | null, ip: string | null): Promise<void> {
    const rules: CounterRule[] = [];
    if (ip) rules.push({ bucket: `carrier:ip:${ip}`, limit: this.limits.perIpPerMinute, windowSeconds: 60 });
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
