import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { DeviceInfo, SignedIn } from '../identities/account-linking.service';
import { PhoneBindingService } from '../identities/phone-binding.service';
import { AppTokensService } from './app-tokens.service';
import { WechatPhoneCallEntity } from './entities/wechat-phone-call.entity';
import { WechatApiClient, WechatPhoneNumber } from './wechat-api.client';
import { toDomainError, WechatApiError } from './wechat-errors';

// WeChat's day is China's: the daily cap resets at midnight UTC+8.
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const TOKEN_REFUSED = new Set([40001, 42001]);

/**
 * wechatMiniProgramBindPhone: the phone button's one-time code → the number (getuserphonenumber, with
 * the app-level token) → bound like an SMS-verified phone. WeChat bills every success, so they are
 * counted (a row each) and capped per app per day: over the cap, PHONE_QUOTA_EXCEEDED, and the
 * mini program falls back to SMS.
 */
@Injectable()
export class MiniProgramPhoneService {
  private readonly dailyCap: number;
  /** Called for every billed success, for metrics. */
  onBilled?: (appId: string) => void;

  constructor(
    private readonly database: Database,
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
    const { ticket, identity } = await this.binding.openTicket(input.bindTicket);
    if (identity.provider !== 'wechat' || identity.channel !== 'mini_program') {
      throw DomainError.badInput('bindTicket', 'not from a mini-program login');
    }
    const appId = identity.appId;
    if ((await this.billedToday(appId)) >= this.dailyCap) throw new DomainError(ErrorCode.PHONE_QUOTA_EXCEEDED);
    const number = await this.fetchNumber(appId, input.phoneCode);
    await this.recordBilled(appId);
    if (number.appId !== appId) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    const phone = this.binding.parsePhone(`+${number.countryCode}${number.purePhoneNumber}`);
    return this.binding.bindVerifiedPhone(ticket, phone, input, meta);
  }

  private async fetchNumber(appId: string, phoneCode: string): Promise<WechatPhoneNumber> {
    let token = await this.appTokens.tokenFor(appId);
    try {
      return await this.client.phoneNumber(appId, token, phoneCode);
    } catch (error) {
      if (!(error instanceof WechatApiError) || !TOKEN_REFUSED.has(error.errcode)) throw toDomainError(error);
    }
    // WeChat refused the app token (rotated elsewhere, or expired early): fetch it again, once.
    token = await this.appTokens.tokenFor(appId, token);
    try {
      return await this.client.phoneNumber(appId, token, phoneCode);
    } catch (error) {
      if (error instanceof WechatApiError && TOKEN_REFUSED.has(error.errcode))
        throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
      throw toDomainError(error);
    }
  }

  private async billedToday(appId: string): Promise<number> {
    const dayStart = new Date(Math.floor((this.clock.nowMs() + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS);
    return this.database.dataSource.manager
      .getRepository(WechatPhoneCallEntity)
      .createQueryBuilder('c')
      .where('c.app_id = :appId AND c.created_at >= :dayStart', { appId, dayStart })
      .getCount();
  }

  private async recordBilled(appId: string): Promise<void> {
    this.onBilled?.(appId);
    await this.database.transaction((manager) =>
      manager.getRepository(WechatPhoneCallEntity).insert({ id: newId(), appId, createdAt: this.clock.now() }),
    );
  }
}
