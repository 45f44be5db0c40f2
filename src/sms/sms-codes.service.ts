import type { EntityManager } from 'typeorm';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { randomInt } from 'node:crypto';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { maskPhone } from '../common/mask';
import { sha256Hex } from '../common/secrets';
import type { SmsLimits } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { SessionsRepository } from '../sessions/sessions.repository';
import { codeSpent, describeFailure, isRetryable, mayHaveRun } from './sms-codes.errors';
import { isDatabaseUnavailable } from '../database/database-errors';
import { SmsPurposeValue } from './sms-code.entity';
import { Admission, SmsBudgetsService, VerifySource } from './sms-budgets.service';
import { CodeAttempt, SmsCodesRepository } from './sms-codes.repository';
import { SmsSender } from './sms-sender';

export interface SendRequest {
  /** E.164, already validated. */
  phone: string;
  purpose: SmsPurposeValue;
  ip: string | null;
  userId?: string | null;
  bindTicketHash?: string | null;
  /** The app installation, for the per-device budget. */
  deviceId?: string | null;
  /** A solved captcha, when the last answer was CAPTCHA_REQUIRED. */
  captchaToken?: string | null;
}

/** One code check: what was typed, and who typed it. */
export interface CodeCheck {
  /** E.164, already validated. */
  phone: string;
  purpose: SmsPurposeValue;
  code: string;
  /** A binding code only works with the bind ticket it was sent for. */
  bindTicketHash?: string;
  source: VerifySource;
  /** The caller owns the code whatever its source (a signed-in user confirming with their own phone). */
  owner?: boolean;
}

/** A code this call consumed: enough to give it back. */
export interface ConsumedCode {
  phone: string;
  purpose: SmsPurposeValue;
  codeHash: string;
  consumedAt: Date;
}

export interface SendReceipt {
  phone: string;
  expiresAt: Date;
  resendAfter: Date;
}

const SIX_DIGITS = /^\d{6}$/;

/**
 * One-time SMS codes: 6 digits from crypto.randomInt, stored hashed, single use, revoked by a resend.
 * SmsLimits.maxAttempts wrong tries from the source that asked for a code lock it for that source;
 * maxForeignAttempts from all others lock it for them. Wrong codes never lock the phone: a new code
 * needs a new send, which SmsBudgetsService prices (budgets, then a captcha per send), and each
 * source's wrong codes are budgeted too. Every check counts per call (twelve aliased guesses are
 * twelve tries).
 */
@Injectable()
export class SmsCodesService {
  private readonly logger = new Logger(SmsCodesService.name);
  private readonly limits: SmsLimits;
  /** Called with each send's outcome, for metrics. */
  onSend?: (purpose: SmsPurposeValue, outcome: 'sent' | 'rate_limited' | 'captcha_required' | 'failed') => void;

  constructor(
    private readonly codes: SmsCodesRepository,
    private readonly budgets: SmsBudgetsService,
    private readonly sender: SmsSender,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly sessions: SessionsRepository,
    config: AppConfig,
  ) {
    this.limits = config.get('sms').limits;
  }

  async send(request: SendRequest): Promise<SendReceipt> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.limits.codeTtlSeconds * 1000);

    let admission: Admission;
    try {
      admission = await this.budgets.admit(
        {
          phone: request.phone,
          ip: request.ip,
          deviceId: request.deviceId,
          captchaToken: request.captchaToken,
          knownSource: () => this.knownToOwner(request),
        },
        now.getTime(),
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.SMS_RATE_LIMITED) {
        this.onSend?.(request.purpose, 'rate_limited');
      } else if (error instanceof DomainError && error.code === ErrorCode.CAPTCHA_REQUIRED) {
        this.onSend?.(request.purpose, 'captcha_required');
      }
      // A refused send stops a login (or its phone step): admins see it in failuresByCode.
      if (request.purpose !== 'DELETE_ACCOUNT') {
        await this.audit.recordLoginFailure(error, 'PHONE', request, { purpose: request.purpose });
      }
      throw error;
    }

    // Plain autocommit statements, no transaction: the revocation and the new row need not commit
    // together (a failure between them leaves no live code, and the caller sends again).
    // A resend kills every earlier live code of this phone and purpose. With no send to this phone
    // in the last day (the counters know it exactly) there is none, and the statement is skipped.
    if (admission.recentSend) await this.codes.revokeLive(request.phone, request.purpose, now);
    const id = newId();
    await this.codes.insert({
      id,
      phone: request.phone,
      purpose: request.purpose,
      codeHash: codeHash(request.phone, request.purpose, code),
      requesterIp: request.ip,
      requesterDevice: request.deviceId ? sha256Hex(request.deviceId) : null,
      userId: request.userId ?? null,
      bindTicketHash: request.bindTicketHash ?? null,
      createdAt: now,
      expiresAt,
    });

    // The gateway is called after the row is written: a code the user receives can always be checked.
    try {
      await this.sender.send({
        phone: request.phone,
        code,
        purpose: request.purpose,
        ttlSeconds: this.limits.codeTtlSeconds,
      });
    } catch (error) {
      this.logger.error(
        `SMS to ${maskPhone(request.phone)} failed: ${error instanceof Error ? error.message : 'unknown'}`,
      );
      await this.codes.revoke(id, this.clock.now());
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The SMS could not be sent. Try again shortly.');
    }
    this.onSend?.(request.purpose, 'sent');
    return {
      phone: maskPhone(request.phone),
      expiresAt,
      resendAfter: new Date(now.getTime() + this.limits.resendSeconds * 1000),
    };
  }

  /**
   * Consumes the live code of this phone and purpose if `code` matches it. Wrong, expired, used and
   * never-sent codes all answer SMS_CODE_INVALID; a code this source may no longer try, SMS_CODE_LOCKED.
   * Past its budget of wrong codes a source needs a solved captcha first (CAPTCHA_REQUIRED).
   * Wrong tries are counted even though the call fails.
   */
  async verify(check: CodeCheck): Promise<ConsumedCode> {
    if (!SIX_DIGITS.test(check.code)) throw DomainError.badInput('smsCode', 'six digits');
    const now = this.clock.now();
    await this.budgets.admitVerification(check.source, now.getTime());
    const consumed: ConsumedCode = {
      phone: check.phone,
      purpose: check.purpose,
      codeHash: codeHash(check.phone, check.purpose, check.code),
      consumedAt: now,
    };
    const error = await this.tryConsume(check, consumed);
    if (error) {
      await this.budgets.recordWrongCode(check.source, now.getTime());
      throw new DomainError(error);
    }
    return consumed;
  }

  /**
   * Consumes the code, then runs `work` (the login, binding or deletion it proves). A retryable
   * failure of `work` gives the code back, so the caller's retry can use it; when even that fails,
   * the answer is not retryable (the code is spent: request a new one).
   */
  /** Account deletion: the phone's codes go with it, in the deletion's transaction. */
  forgetPhone(manager: EntityManager, phone: string): Promise<void> {
    return this.codes.deleteForPhone(manager, phone);
  }

  async redeem<T>(check: CodeCheck, work: () => Promise<T>): Promise<T> {
    const consumed = await this.verify(check);
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error) || (await this.giveBack(consumed))) throw error;
      throw codeSpent();
    }
  }

  /** The code live again after a failure that followed its consumption; false when that failed too. */
  private async giveBack(consumed: ConsumedCode): Promise<boolean> {
    try {
      await this.codes.giveBack(consumed.phone, consumed.purpose, consumed.codeHash, consumed.consumedAt);
      return true;
    } catch (error) {
      this.logger.warn(`an SMS code consumed before a failure could not be given back: ${describeFailure(error)}`);
      return false;
    }
  }

  /**
   * The right code costs one conditional UPDATE, atomic by itself: of twenty racing right answers
   * exactly one consumes the code. A resend revoked every earlier code, so a live row is the latest.
   * Wrong tries count apart for the source that asked for the code (its device, else its IP: at most
   * SMS_MAX_ATTEMPTS) and for every other source together (SMS_MAX_FOREIGN_ATTEMPTS): strangers
   * guessing cannot kill the code for the one who asked for it. Only a failure costs more: the try
   * is counted, then, if none was counted, one read tells a locked code (LOCKED) from none (INVALID).
   */
  private async tryConsume(check: CodeCheck, consumed: ConsumedCode): Promise<ErrorCode | null> {
    const attempt: CodeAttempt = {
      phone: check.phone,
      purpose: check.purpose,
      now: consumed.consumedAt,
      owner: check.owner === true,
      device: check.source.deviceId ? sha256Hex(check.source.deviceId) : null,
      ip: check.source.ip ?? null,
      maxAttempts: this.limits.maxAttempts,
      maxForeignAttempts: this.limits.maxForeignAttempts,
      bindTicketHash: check.bindTicketHash,
    };
    let changed: number;
    try {
      changed = await this.codes.consume(attempt, consumed.codeHash);
    } catch (error) {
      // The statement may have run with its answer lost: the code may be consumed.
      if (isDatabaseUnavailable(error) && mayHaveRun(error) && !(await this.giveBack(consumed))) throw codeSpent();
      throw error;
    }
    if (changed > 0) return null;

    if ((await this.codes.countWrong(attempt)) > 0) return ErrorCode.SMS_CODE_INVALID;
    // Nothing counted: no live code (nothing to guess, so nothing counts), another ticket's code, or
    // a code this source may no longer try.
    const latest = await this.codes.findLatestLive(check.phone, check.purpose, attempt.now);
    if (!latest || (check.bindTicketHash !== undefined && latest.bindTicketHash !== check.bindTicketHash)) {
      return ErrorCode.SMS_CODE_INVALID;
    }
    const isAsker =
      attempt.owner ||
      (latest.requesterDevice !== null
        ? latest.requesterDevice === attempt.device
        : attempt.ip !== null && latest.requesterIp === attempt.ip);
    const locked = isAsker
      ? latest.attempts >= this.limits.maxAttempts
      : latest.foreignAttempts >= this.limits.maxForeignAttempts;
    return locked ? ErrorCode.SMS_CODE_LOCKED : ErrorCode.SMS_CODE_INVALID;
  }

  /** A device that has had a session of the user owning this phone (any, ended ones included). */
  private async knownToOwner(request: SendRequest): Promise<boolean> {
    // DELETE_ACCOUNT: the resolver checked that the signed-in caller owns this phone.
    if (request.purpose === 'DELETE_ACCOUNT' && request.userId) return true;
    if (!request.deviceId) return false;
    return this.sessions.deviceKnownToPhoneOwner(request.phone, request.deviceId);
  }
}

function codeHash(phone: string, purpose: SmsPurposeValue, code: string): string {
  return sha256Hex(`${phone}|${purpose}|${code}`);
}
