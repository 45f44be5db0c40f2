import { Injectable } from '@nestjs/common';
import { RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { parseMobilePhone } from '../users/phone-number';
import { SmsCodesService } from '../sms/sms-codes.service';
import { BindTicketEntity } from './bind-ticket.entity';
import { BindTicketsService } from './bind-tickets.service';
import { IdentitiesService } from './identities.service';
import { IdentityEntity } from './identity.entity';
import { PhoneOwnersService } from './phone-owners.service';
import { DeviceInfo, SignedIn, SignInService } from './sign-in.service';
import { loginMethodOf } from './verified-identity';

/**
 * The last step of a first login of any provider: the bind ticket plus a verified phone, proven by an
 * SMS code here, or by WeChat's mini-program phone button or the carrier by their callers.
 */
@Injectable()
export class PhoneBindingService {
  private readonly regions: string[];

  constructor(
    private readonly database: Database,
    private readonly tickets: BindTicketsService,
    private readonly identities: IdentitiesService,
    private readonly phoneOwners: PhoneOwnersService,
    private readonly signIn: SignInService,
    private readonly smsCodes: SmsCodesService,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
  }

  /** A number as a provider gave it (E.164 or national), checked against the allowed countries. */
  parsePhone(raw: string): string {
    return parseMobilePhone(raw, this.regions);
  }

  /** The live ticket and its identity, or BIND_TICKET_INVALID. */
  async openTicket(ticket: string): Promise<{ ticket: BindTicketEntity; identity: IdentityEntity }> {
    const row = await this.tickets.findLive(ticket);
    const identity = row ? await this.identities.findById(row.identityId) : null;
    if (!row || !identity) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
    return { ticket: row, identity };
  }

  /** bindPhone: the SMS code is checked before anything is said about the phone's account. */
  async bindWithSmsCode(
    input: { bindTicket: string; phone: string; smsCode: string; captchaToken?: string | null } & DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    const phone = parseMobilePhone(input.phone, this.regions);
    const { ticket } = await this.openTicket(input.bindTicket);
    const check = {
      phone,
      purpose: 'BIND_PHONE' as const,
      code: input.smsCode,
      bindTicketHash: ticket.ticketHash,
      source: { ip: meta.ip, deviceId: input.deviceId, captchaToken: input.captchaToken },
    };
    // A retryable failure of the binding gives the code back (SmsCodesService.redeem).
    return this.smsCodes.redeem(check, () => this.bindVerifiedPhone(ticket, phone, input, meta));
  }

  /** Binds a phone some provider has already verified, consuming the ticket, and starts the session. */
  async bindVerifiedPhone(
    ticket: BindTicketEntity,
    phone: string,
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    return this.database.transaction(async (manager) => {
      if (!(await this.tickets.consume(manager, ticket.id))) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
      const identity = await this.identities.findById(ticket.identityId, manager);
      if (!identity) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
      const { user } = await this.phoneOwners.join(manager, identity, phone, meta);
      // The '<provider>.bind' row just written stands for this login: one login, one event.
      return this.signIn.signInUserId(manager, user.id, {
        method: loginMethodOf(identity.provider),
        device,
        meta,
        audit: null,
      });
    });
  }
}
