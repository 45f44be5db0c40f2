import { Inject, Injectable, Optional } from '@nestjs/common';
import { parsePhoneNumberFromString } from '../common/libphonenumber';
import { sha256Hex } from '../common/secrets';
import type { SmsLimits } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { CAPTCHA_VERIFIER } from '../captcha/captcha.module';
import { CaptchaVerifier } from '../captcha/captcha-verifier';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { CounterRule, enforced, HitCounter, RuleState } from '../rate-limits/hit-counter';
import { TrustedSources } from '../rate-limits/trusted-sources';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

export interface SendAttempt {
  /** E.164, validated. */
  phone: string;
  ip: string | null;
  deviceId?: string | null;
  captchaToken?: string | null;
  /**
   * Whether the caller is known to the phone's owner (a device with a session of the phone's user);
   * asked only when the strangers' daily hard cap is full. Known callers then have a reserve.
   */
  knownSource?: () => Promise<boolean>;
}

/** Who checks a code: the budgets of wrong codes are kept per IP and per device. */
export interface VerifySource {
  ip: string | null;
  deviceId?: string | null;
  /** A solved captcha, when the last answer was CAPTCHA_REQUIRED. */
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
 * - the daily hard cap binds strangers; a source known to the owner (a device that had a session of
 *   the phone's user) has SMS_PHONE_KNOWN_PER_DAY more, so strangers filling the cap cannot keep the
 *   owner out for a day, while what a stranger can have sent to a phone stays as it was.
 * Verifications too: wrong codes are counted per IP and per device; past SMS_VERIFY_*_PER_HOUR each
 * further try needs a solved captcha (CAPTCHA_REQUIRED; TOO_MANY_REQUESTS with the captcha off).
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
    const budgets = this.budgetRules(attempt);
    try {
      return await this.admitWithin(this.hardRules(attempt.phone), budgets, attempt, nowMs);
    } catch (error) {
      if (!(error instanceof HardLimitReached)) throw error;
      // Only the daily cap, never the cooldown, opens the reserve; and only for a known source.
      const capOnly = error.states.every((s) => s.rule.windowSeconds === DAY);
      if (!capOnly || this.limits.phoneKnownPerDay === 0 || !(await attempt.knownSource?.())) {
        throw rateLimited(error.states);
      }
    }
    const reserve = this.knownReserveRule(attempt.phone);
    const [left] = await this.counter.peek([reserve], nowMs);
    if (left.full) throw rateLimited([left]);
    let admitted: Admission;
    try {
      admitted = await this.admitWithin(this.knownHardRules(attempt.phone), budgets, attempt, nowMs);
    } catch (error) {
      throw error instanceof HardLimitReached ? rateLimited(error.states) : error;
    }
    // Recorded after the send was admitted: sends to one phone are a cooldown apart, so no other
    // send of this phone can race this record (an exact take counts one bucket).
    await this.counter.take([{ ...reserve, enforce: false }], nowMs);
    return admitted;
  }

  private async admitWithin(
    hard: CounterRule[],
    budgets: CounterRule[],
    attempt: SendAttempt,
    nowMs: number,
  ): Promise<Admission> {
    const token = this.captcha ? attempt.captchaToken : null;
    if (!token) {
      const { taken, states } = await this.counter.take([...hard, ...budgets], nowMs);
      if (taken) return admission(states);
      const fullHard = states.filter((s) => s.full && enforced(s.rule) && hard.includes(s.rule));
      if (fullHard.length > 0) throw new HardLimitReached(fullHard);
      if (!this.captcha) throw rateLimited(states);
      throw this.captchaRequired();
    }

    // With a token: the hard limits first, so that a solved captcha is not spent on a refused send.
    const before = await this.counter.peek(hard, nowMs);
    const fullBefore = before.filter((s) => s.full && enforced(s.rule));
    if (fullBefore.length > 0) throw new HardLimitReached(fullBefore);
    await this.spendCaptcha(token, nowMs);
    const { taken, states } = await this.counter.take(
      [...hard, ...budgets.map((rule) => ({ ...rule, enforce: false }))],
      nowMs,
    );
    if (!taken) throw rateLimited(states);
    return admission(states);
  }

  /**
   * Before a code is checked: within its budgets of wrong codes a source tries freely; past one,
   * each try costs a solved captcha. Records nothing (wrong codes are recorded by `recordWrongCode`).
   */
  async admitVerification(source: VerifySource, nowMs: number): Promise<void> {
    const rules = this.verifyRules(source);
    if (rules.length === 0) return;
    const states = await this.counter.peek(rules, nowMs);
    if (!states.some((s) => s.full)) return;
    if (!this.captcha) {
      const retryAfterSeconds = Math.max(1, ...states.filter((s) => s.full).map((s) => s.retryAfterSeconds));
      throw new DomainError(ErrorCode.TOO_MANY_REQUESTS, 'Too many wrong codes. Wait before trying again.', {
        retryAfterSeconds,
      });
    }
    const token = source.captchaToken;
    if (!token) throw this.captchaRequired(VERIFY_CAPTCHA_MESSAGE);
    await this.spendCaptcha(token, nowMs, VERIFY_CAPTCHA_MESSAGE);
  }

  /** A wrong (or locked) code from this source, counted against its budgets. */
  async recordWrongCode(source: VerifySource, nowMs: number): Promise<void> {
    const rules = this.verifyRules(source).map((rule) => ({ ...rule, enforce: false }));
    if (rules.length > 0) await this.counter.take(rules, nowMs);
  }

  /** A token passes once (recorded across instances), and only if the provider says a person solved it. */
  private async spendCaptcha(token: string, nowMs: number, message?: string): Promise<void> {
    const once = await this.counter.take(
      [{ bucket: `captcha:used:${sha256Hex(token).slice(0, 40)}`, limit: 1, windowSeconds: DAY, exact: true }],
      nowMs,
    );
    if (!once.taken || !(await this.captcha!.verify(token))) throw this.captchaRequired(message);
  }

  private captchaRequired(message?: string): DomainError {
    return new DomainError(ErrorCode.CAPTCHA_REQUIRED, message, { captcha: this.captcha!.challenge });
  }

  /** A known source's send: the same cooldown; the strangers' cap only recorded (the reserve counts it). */
  private knownHardRules(phone: string): CounterRule[] {
    const [cooldown, cap] = this.hardRules(phone);
    return [cooldown, { ...cap, enforce: false }];
  }

  private knownReserveRule(phone: string): CounterRule {
    return { bucket: knownBucket(phone), limit: this.limits.phoneKnownPerDay, windowSeconds: DAY, exact: true };
  }

  private verifyRules(source: VerifySource): CounterRule[] {
    if (this.trusted?.has(source.ip)) return [];
    const rules: CounterRule[] = [];
    if (source.ip) {
      rules.push({ bucket: `sms:verify:ip:${source.ip}`, limit: this.limits.verifyPerIpPerHour, windowSeconds: HOUR });
    }
    if (source.deviceId) {
      rules.push({
        bucket: `sms:verify:device:${sha256Hex(source.deviceId).slice(0, 40)}`,
        limit: this.limits.verifyPerDevicePerHour,
        windowSeconds: HOUR,
      });
    }
    return rules;
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

const VERIFY_CAPTCHA_MESSAGE = 'Too many wrong codes. Solve the captcha, then try the code again with captchaToken.';

/** A hard limit refused the send (the reserve may still admit a known source). */
class HardLimitReached extends Error {
  constructor(readonly states: RuleState[]) {
    super('hard SMS limit');
  }
}

function knownBucket(phone: string): string {
  return `sms:phone-known:${sha256Hex(phone).slice(0, 40)}`;
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
