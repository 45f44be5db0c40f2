import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { isClientToken } from '../common/client-token';
import { Clock } from '../common/clock';
import { RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { DeviceInfo, SignedIn } from '../identities/account-linking.service';
import { PhoneBindingService } from '../identities/phone-binding.service';
import { AppTokensService } from './app-tokens.service';
import { PhoneCallSlotsRepository } from './phone-call-slots.repository';
import { WechatApiClient, WechatPhoneNumber } from './wechat-api.client';
import { toDomainError, WechatApiError, WechatNotSentError, WechatUnavailableError } from './wechat-errors';

// WeChat's day is China's: the daily cap resets at midnight UTC+8.
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const TOKEN_REFUSED = new Set([40001, 42001]);

/**
 * wechatMiniProgramBindPhone: the phone button's one-time code → the number (getuserphonenumber, with
 * the app-level token) → bound like an SMS-verified phone. WeChat bills every success, so each call
 * first reserves a slot of the app's daily cap (PhoneCallSlotsRepository): over the cap,
 * PHONE_QUOTA_EXCEEDED, and the mini program falls back to SMS. A bind ticket gets one reservation:
 * a second phone code for it (a double tap, a replay) is refused the same way, never billed again.
 * A reservation is given back only when WeChat surely did not bill the call: never sent, or
 * answered with an errcode (WeChat bills only the numbers it gives). A timeout stays counted.
 */
@Injectable()
export class MiniProgramPhoneService {
  private readonly logger = new Logger(MiniProgramPhoneService.name);
  private readonly dailyCap: number;
  /** Called for every billed success, for metrics. */
  onBilled?: (appId: string) => void;

  constructor(
    private readonly slots: PhoneCallSlotsRepository,
    private readonly client: WechatApiClient,
    private readonly appTokens: AppTokensService,
    private readonly binding: PhoneBindingService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    this.dailyCap = config.get('wechat').phoneDailyCap;
  }

  async bind(input: { bindTicket: string; phoneCode: string } & DeviceInfo, meta: RequestMeta): Promise<SignedIn> {
    // The phone step of a mini-program login: its refusals (PHONE_QUOTA_EXCEEDED, ...) are login failures.
    return this.audit.failuresOf('WECHAT', meta, () => this.bindOnce(input, meta));
  }

  private async bindOnce(
    input: { bindTicket: string; phoneCode: string } & DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    if (!input.phoneCode.trim()) throw DomainError.badInput('phoneCode', 'empty');
    if (!isClientToken(input.phoneCode, 256)) throw DomainError.badInput('phoneCode', 'not a phone code');
    const { ticket, identity } = await this.binding.openTicket(input.bindTicket);
    if (identity.provider !== 'wechat' || identity.channel !== 'mini_program') {
      throw DomainError.badInput('bindTicket', 'not from a mini-program login');
    }
    const appId = identity.appId;
    const nowMs = this.clock.nowMs();
    const day = Math.floor((nowMs + CHINA_OFFSET_MS) / DAY_MS);
    const reservation = await this.slots.reserve({
      appId,
      day,
      dayStart: new Date(day * DAY_MS - CHINA_OFFSET_MS),
      cap: this.dailyCap,
      bindTicketId: ticket.id,
      now: new Date(nowMs),
    });
    if (reservation === 'cap-reached') throw new DomainError(ErrorCode.PHONE_QUOTA_EXCEEDED);
    if (reservation === 'ticket-used') {
      throw new DomainError(
        ErrorCode.PHONE_QUOTA_EXCEEDED,
        'This bind ticket has already used the phone button. Bind the phone by SMS.',
      );
    }
    const call = { mayBeBilled: false };
    let number: WechatPhoneNumber;
    try {
      number = await this.fetchNumber(appId, input.phoneCode, call);
    } catch (error) {
      if (!call.mayBeBilled) {
        await this.slots.release(reservation.id).catch(() => this.logger.warn('could not release a phone-call slot'));
      }
      throw toDomainError(error);
    }
    this.onBilled?.(appId);
    if (number.appId !== appId) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    const phone = this.binding.parsePhone(`+${number.countryCode}${number.purePhoneNumber}`);
    return this.binding.bindVerifiedPhone(ticket, phone, input, meta);
  }

  private async fetchNumber(
    appId: string,
    phoneCode: string,
    call: { mayBeBilled: boolean },
  ): Promise<WechatPhoneNumber> {
    const ask = async (token: string): Promise<WechatPhoneNumber> => {
      call.mayBeBilled = true;
      try {
        return await this.client.phoneNumber(appId, token, phoneCode);
      } catch (error) {
        if (surelyNotBilled(error)) call.mayBeBilled = false;
        throw error;
      }
    };
    let token = await this.appTokens.tokenFor(appId);
    try {
      return await ask(token);
    } catch (error) {
      if (!(error instanceof WechatApiError) || !TOKEN_REFUSED.has(error.errcode)) throw error;
    }
    // WeChat refused the app token (rotated elsewhere, or expired early): fetch it again, once.
    token = await this.appTokens.tokenFor(appId, token);
    try {
      return await ask(token);
    } catch (error) {
      if (error instanceof WechatApiError && TOKEN_REFUSED.has(error.errcode))
        throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
      throw error;
    }
  }
}

/** WeChat answered no (it bills only numbers it gives), or the request never left. */
function surelyNotBilled(error: unknown): boolean {
  if (error instanceof WechatApiError) return error.errcode !== -1;
  if (error instanceof WechatNotSentError) return true;
  return error instanceof WechatUnavailableError && (error.reason === 'connect' || error.reason === 'circuit-open');
}
