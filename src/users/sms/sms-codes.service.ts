import { Injectable, Logger } from '@nestjs/common';
import { randomInt, timingSafeEqual } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { maskPhone } from '../../common/mask';
import { sha256Hex } from '../../common/secrets';
import type { SmsLimits } from '../../config/app-config';
import { AppConfig } from '../../config/app-config.service';
import { Database } from '../../database/database.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { SmsCodeEntity, SmsPurposeValue } from './sms-code.entity';
import { SmsBudgetsService } from './sms-budgets.service';
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

type VerifyOutcome = { ok: true; code: SmsCodeEntity } | { ok: false; error: ErrorCode };

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
    config: AppConfig,
  ) {
    this.limits = config.get('sms').limits;
  }

  async send(request: SendRequest): Promise<SendReceipt> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.limits.codeTtlSeconds * 1000);

    try {
      await this.budgets.admit(
        { phone: request.phone, ip: request.ip, deviceId: request.deviceId, captchaToken: request.captchaToken },
        now.getTime(),
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.SMS_RATE_LIMITED) {
        this.onSend?.(request.purpose, 'rate_limited');
      } else if (error instanceof DomainError && error.code === ErrorCode.CAPTCHA_REQUIRED) {
        this.onSend?.(request.purpose, 'captcha_required');
      }
      throw error;
    }

    const row = await this.database.transaction(async (manager): Promise<SmsCodeEntity> => {
      // A resend kills every earlier live code of this phone and purpose.
      await manager
        .createQueryBuilder()
        .update(SmsCodeEntity)
        .set({ revokedAt: now })
        .where('phone = :phone AND purpose = :purpose AND consumed_at IS NULL AND revoked_at IS NULL', request)
        .execute();
      const row: SmsCodeEntity = {
        id: newId(),
        phone: request.phone,
        purpose: request.purpose,
        codeHash: codeHash(request.phone, request.purpose, code),
        attempts: 0,
        requesterIp: request.ip,
        userId: request.userId ?? null,
        bindTicketHash: request.bindTicketHash ?? null,
        createdAt: now,
        expiresAt,
        consumedAt: null,
        revokedAt: null,
      };
      await manager.getRepository(SmsCodeEntity).insert(row);
      return row;
    });

    // The gateway call happens outside the transaction: a slow provider must not hold the database.
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
      await this.database.transaction((manager) =>
        manager.getRepository(SmsCodeEntity).update({ id: row.id }, { revokedAt: this.clock.now() }),
      );
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
   * Wrong tries are committed even though the call fails.
   */
  async verify(phone: string, purpose: SmsPurposeValue, code: string, bindTicketHash?: string): Promise<SmsCodeEntity> {
    if (!SIX_DIGITS.test(code)) throw DomainError.badInput('smsCode', 'six digits');
    const outcome = await this.database.transaction((manager) =>
      this.tryConsume(manager, phone, purpose, code, bindTicketHash),
    );
    if (!outcome.ok) throw new DomainError(outcome.error);
    return outcome.code;
  }

  private async tryConsume(
    manager: EntityManager,
    phone: string,
    purpose: SmsPurposeValue,
    code: string,
    bindTicketHash?: string,
  ): Promise<VerifyOutcome> {
    const now = this.clock.now();
    const live = await manager
      .getRepository(SmsCodeEntity)
      .createQueryBuilder('c')
      .where('c.phone = :phone AND c.purpose = :purpose', { phone, purpose })
      .andWhere('c.consumed_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > :now', { now })
      .orderBy('c.created_at', 'DESC')
      .limit(1)
      .getOne();
    // No live code: nothing to guess, so nothing is counted against the phone. A binding code only
    // works with the bind ticket it was sent for.
    if (!live || (bindTicketHash !== undefined && live.bindTicketHash !== bindTicketHash)) {
      return { ok: false, error: ErrorCode.SMS_CODE_INVALID };
    }
    if (live.attempts >= this.limits.maxAttempts) return { ok: false, error: ErrorCode.SMS_CODE_LOCKED };

    if (sameHash(live.codeHash, codeHash(phone, purpose, code))) {
      // One conditional update: of twenty racing right answers exactly one consumes the code.
      const consumed = await manager
        .createQueryBuilder()
        .update(SmsCodeEntity)
        .set({ consumedAt: now })
        .where('id = :id AND consumed_at IS NULL AND revoked_at IS NULL AND attempts < :max AND expires_at > :now', {
          id: live.id,
          max: this.limits.maxAttempts,
          now,
        })
        .execute();
      return (consumed.affected ?? 0) === 1
        ? { ok: true, code: live }
        : { ok: false, error: ErrorCode.SMS_CODE_INVALID };
    }

    const counted = await manager
      .createQueryBuilder()
      .update(SmsCodeEntity)
      .set({ attempts: () => 'attempts + 1' })
      .where('id = :id AND attempts < :max', { id: live.id, max: this.limits.maxAttempts })
      .execute();
    if ((counted.affected ?? 0) === 0) return { ok: false, error: ErrorCode.SMS_CODE_LOCKED };
    return { ok: false, error: ErrorCode.SMS_CODE_INVALID };
  }
}

function codeHash(phone: string, purpose: SmsPurposeValue, code: string): string {
  return sha256Hex(`${phone}|${purpose}|${code}`);
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
