import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { randomInt } from 'node:crypto';
import { Clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { maskPhone } from '../../common/mask';
import { sha256Hex } from '../../common/secrets';
import type { SmsLimits } from '../../config/app-config';
import { AppConfig } from '../../config/app-config.service';
import { Database } from '../../database/database.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { SmsPurposeValue } from './sms-code.entity';
import { Admission, SmsBudgetsService } from './sms-budgets.service';
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

export interface SendReceipt {
  phone: string;
  expiresAt: Date;
  resendAfter: Date;
}

const SIX_DIGITS = /^\d{6}$/;

/**
 * One-time SMS codes: 6 digits from crypto.randomInt, stored hashed, single use, killed by
 * SmsLimits.maxAttempts wrong tries or by a resend. Wrong codes kill the code, never the phone: a
 * new code needs a new send, which SmsBudgetsService prices (budgets, then a captcha per send).
 * Every check counts per call (twelve aliased guesses are twelve tries).
 */
@Injectable()
export class SmsCodesService {
  private readonly logger = new Logger(SmsCodesService.name);
  private readonly limits: SmsLimits;
  /** Called with each send's outcome, for metrics. */
  onSend?: (purpose: SmsPurposeValue, outcome: 'sent' | 'rate_limited' | 'captcha_required' | 'failed') => void;

  constructor(
    private readonly database: Database,
    private readonly budgets: SmsBudgetsService,
    private readonly sender: SmsSender,
    private readonly clock: Clock,
    private readonly audit: AuditService,
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
        { phone: request.phone, ip: request.ip, deviceId: request.deviceId, captchaToken: request.captchaToken },
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
    if (admission.recentSend) {
      await this.database.sql.run(
        'UPDATE sms_codes SET revoked_at = ? WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL',
        [now, request.phone, request.purpose],
      );
    }
    const id = newId();
    await this.database.sql.run(
      'INSERT INTO sms_codes (id, phone, purpose, code_hash, attempts, requester_ip, user_id, bind_ticket_hash, created_at, expires_at, consumed_at, revoked_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, NULL, NULL)',
      [
        id,
        request.phone,
        request.purpose,
        codeHash(request.phone, request.purpose, code),
        request.ip,
        request.userId ?? null,
        request.bindTicketHash ?? null,
        now,
        expiresAt,
      ],
    );

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
      await this.database.sql.run('UPDATE sms_codes SET revoked_at = ? WHERE id = ?', [this.clock.now(), id]);
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
   * never-sent codes all answer SMS_CODE_INVALID; a code killed by wrong tries SMS_CODE_LOCKED.
   * Wrong tries are counted even though the call fails.
   */
  async verify(phone: string, purpose: SmsPurposeValue, code: string, bindTicketHash?: string): Promise<void> {
    if (!SIX_DIGITS.test(code)) throw DomainError.badInput('smsCode', 'six digits');
    const error = await this.tryConsume(phone, purpose, code, bindTicketHash);
    if (error) throw new DomainError(error);
  }

  /**
   * The right code costs one conditional UPDATE, atomic by itself: of twenty racing right answers
   * exactly one consumes the code. A resend revoked every earlier code, so a live row is the latest.
   * Only a failure costs more: the try is counted against the live code, then, if none was counted,
   * one read tells a killed code (LOCKED) from no code at all (INVALID).
   */
  private async tryConsume(
    phone: string,
    purpose: SmsPurposeValue,
    code: string,
    bindTicketHash?: string,
  ): Promise<ErrorCode | null> {
    const now = this.clock.now();
    const max = this.limits.maxAttempts;
    // A binding code only works with the bind ticket it was sent for.
    const ticket = bindTicketHash === undefined ? '' : ' AND bind_ticket_hash = ?';
    const ticketParams = bindTicketHash === undefined ? [] : [bindTicketHash];
    const live = 'phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?';
    const consumed = await this.database.sql.run(
      `UPDATE sms_codes SET consumed_at = ? WHERE ${live} AND code_hash = ? AND attempts < ?${ticket}`,
      [now, phone, purpose, now, codeHash(phone, purpose, code), max, ...ticketParams],
    );
    if (consumed > 0) return null;

    const counted = await this.database.sql.run(
      `UPDATE sms_codes SET attempts = attempts + 1 WHERE ${live} AND attempts < ?${ticket}`,
      [phone, purpose, now, max, ...ticketParams],
    );
    if (counted > 0) return ErrorCode.SMS_CODE_INVALID;
    // Nothing counted: no live code (nothing to guess, so nothing counts), another ticket's code, or
    // a code already killed by wrong tries.
    const [latest] = await this.database.sql.rows<{ attempts: number | string; bind_ticket_hash: string | null }>(
      `SELECT attempts, bind_ticket_hash FROM sms_codes WHERE ${live} ORDER BY created_at DESC LIMIT 1`,
      [phone, purpose, now],
    );
    if (!latest || (bindTicketHash !== undefined && latest.bind_ticket_hash !== bindTicketHash)) {
      return ErrorCode.SMS_CODE_INVALID;
    }
    return Number(latest.attempts) >= max ? ErrorCode.SMS_CODE_LOCKED : ErrorCode.SMS_CODE_INVALID;
  }
}

function codeHash(phone: string, purpose: SmsPurposeValue, code: string): string {
  return sha256Hex(`${phone}|${purpose}|${code}`);
}
