import { Inject, Injectable, Optional } from '@nestjs/common';
import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';
import { sha256Hex } from '../../common/secrets';
import type { SmsLimits } from '../../config/app-config';
import { AppConfig } from '../../config/app-config.service';
import { CAPTCHA_VERIFIER } from '../../captcha/captcha.module';
import { CaptchaVerifier } from '../../captcha/captcha-verifier';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { CounterRule, HitCounter, RuleState } from '../../rate-limits/hit-counter';
import { TrustedSources } from '../../rate-limits/trusted-sources';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

export interface SendAttempt {
  /** E.164, validated. */
  phone: string;
  ip: string | null;
  deviceId?: string | null;
  captchaToken?: string | null;
}

export interface Admission {
  /**
   * An earlier send to this phone lies within the last day (the longest per-phone window). When
   * false, no code of any purpose sent to it can still be live (a code lives at most an hour), so
   * there is none to revoke.
   */
  recentSend: boolean;
}

/**
 * Who may have an SMS sent, and at what price (Authgear's set of limits, taken further):
 * - hard, captcha or not: one code per phone a minute (cooldown) and SMS_PHONE_HARD_PER_DAY a day;
 * - budgets per phone, IP, device, number prefix, country and overall: over any of them the caller
 *   gets CAPTCHA_REQUIRED, and each solved captcha buys one send. So a stranger can spend a phone's
 *   budget but never lock its owner out, and pumping costs a solved captcha per message.
 * Per-phone counts are exact (one row per phone, optimistic writes; or Redis); the others are
 * shared approximately (in memory, synced once a second; or Redis). TRUSTED_SOURCES skip every
 * budget but the phone's own, and their sends are not counted there.
 */
@Injectable()
export class SmsBudgetsService {
  private readonly limits: SmsLimits;

  constructor(
    private readonly counter: HitCounter,
    config: AppConfig,
    @Optional() @Inject(CAPTCHA_VERIFIER) private readonly captcha: CaptchaVerifier | null,
    @Optional() private readonly trusted?: TrustedSources,
  ) {
    this.limits = config.get('sms').limits;
  }

  /** Records the send in every budget, or throws SMS_RATE_LIMITED / CAPTCHA_REQUIRED and records nothing. */
  async admit(attempt: SendAttempt, nowMs: number): Promise<Admission> {
    const hard = this.hardRules(attempt.phone);
    const budgets = this.budgetRules(attempt);
    const token = this.captcha ? attempt.captchaToken : null;

    if (!token) {
      const { taken, states } = await this.counter.take([...hard, ...budgets], nowMs);
      if (taken) return admission(states);
      const fullHard = states.filter((s) => s.full && hard.includes(s.rule));
      if (fullHard.length > 0 || !this.captcha) throw rateLimited(fullHard.length > 0 ? fullHard : states);
      throw this.captchaRequired();
    }

    // With a token: the hard limits first, so that a solved captcha is not spent on a refused send.
    const before = await this.counter.peek(hard, nowMs);
    if (before.some((s) => s.full)) throw rateLimited(before);
    await this.spendCaptcha(token, nowMs);
    const { taken, states } = await this.counter.take(
      [...hard, ...budgets.map((rule) => ({ ...rule, enforce: false }))],
      nowMs,
    );
    if (!taken) throw rateLimited(states);
    return admission(states);
  }

  /** A token passes once (recorded across instances), and only if the provider says a person solved it. */
  private async spendCaptcha(token: string, nowMs: number): Promise<void> {
    const once = await this.counter.take(
      [{ bucket: `captcha:used:${sha256Hex(token).slice(0, 40)}`, limit: 1, windowSeconds: DAY, exact: true }],
      nowMs,
    );
    if (!once.taken || !(await this.captcha!.verify(token))) throw this.captchaRequired();
  }

  private captchaRequired(): DomainError {
    return new DomainError(ErrorCode.CAPTCHA_REQUIRED, undefined, { captcha: this.captcha!.challenge });
  }

  private hardRules(phone: string): CounterRule[] {
    const bucket = phoneBucket(phone);
    return [
      { bucket, limit: 1, windowSeconds: this.limits.resendSeconds, exact: true },
      { bucket, limit: this.limits.phoneHardPerDay, windowSeconds: DAY, exact: true },
    ];
  }

  private budgetRules(attempt: SendAttempt): CounterRule[] {
    const l = this.limits;
    const phone = phoneBucket(attempt.phone);
    const rules: CounterRule[] = [
      { bucket: phone, limit: l.perPhonePerHour, windowSeconds: HOUR, exact: true },
      { bucket: phone, limit: l.perPhonePerDay, windowSeconds: DAY, exact: true },
    ];
    if (this.trusted?.has(attempt.ip)) return rules;
    if (attempt.ip) {
      rules.push(
        { bucket: `sms:ip:${attempt.ip}`, limit: l.perIpPerMinute, windowSeconds: MINUTE },
        { bucket: `sms:ip:${attempt.ip}`, limit: l.perIpPerHour, windowSeconds: HOUR },
      );
    }
    if (attempt.deviceId) {
      const device = `sms:device:${sha256Hex(attempt.deviceId).slice(0, 40)}`;
      rules.push(
        { bucket: device, limit: l.perDevicePerHour, windowSeconds: HOUR },
        { bucket: device, limit: l.perDevicePerDay, windowSeconds: DAY },
      );
    }
    const parsed = parsePhoneNumberFromString(attempt.phone);
    if (parsed) {
      const prefix = `+${parsed.countryCallingCode}${parsed.nationalNumber.slice(0, l.prefixDigits)}`;
      const country = parsed.country ?? `+${parsed.countryCallingCode}`;
      rules.push(
        { bucket: `sms:prefix:${prefix}`, limit: l.perPrefixPerHour, windowSeconds: HOUR },
        {
          bucket: `sms:country:${country}`,
          limit: l.perCountryPerHour[country] ?? l.perCountryPerHour['*'],
          windowSeconds: HOUR,
        },
      );
    }
    rules.push({ bucket: 'sms:global', limit: l.globalPerHour, windowSeconds: HOUR });
    return rules;
  }
}

// Phone numbers are kept out of counter keys (which outlive an account deletion by a day).
function phoneBucket(phone: string): string {
  return `sms:phone:${sha256Hex(phone).slice(0, 40)}`;
}

/** The phone's hard daily rule counts every send to it in the last day, this one included. */
function admission(states: RuleState[]): Admission {
  const day = states.find(
    (s) => s.rule.exact && s.rule.windowSeconds === DAY && s.rule.bucket.startsWith('sms:phone:'),
  );
  return { recentSend: !day || day.hits > 1 };
}

function rateLimited(states: RuleState[]): DomainError {
  const retryAfterSeconds = Math.max(1, ...states.filter((s) => s.full).map((s) => s.retryAfterSeconds));
  return new DomainError(ErrorCode.SMS_RATE_LIMITED, undefined, { retryAfterSeconds });
}
