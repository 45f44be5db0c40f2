import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { Platform } from '../../common/enums';
import { RequestMeta } from '../../common/request-meta';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { PhoneBindingService } from '../../identities/phone-binding.service';
import { SignedIn, SignInService } from '../../identities/sign-in.service';
import { ConnectorRegistry } from '../connector-registry';
import { ConnectorVerification, HttpPair } from '../connector-verification.service';
import { CarrierConnector, VerifiedPhone } from './carrier.connector';

/**
 * Carrier one-tap through its connector, then exactly the rules of an SMS-verified phone: log in (or
 * sign up) through the sign-in core, or bind to a first login's ticket.
 */
@Injectable()
export class CarrierLoginService {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly verification: ConnectorVerification,
    private readonly signIn: SignInService,
    private readonly binding: PhoneBindingService,
    private readonly audit: AuditService,
  ) {}

  async login(
    input: { token: string; deviceId?: string | null; platform?: Platform | null },
    http: HttpPair,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    return this.audit.failuresOf('CARRIER', meta, async () => {
      const phone = await this.phoneOf(input, http, meta);
      return this.signIn.signInByPhone(phone, 'CARRIER', input, meta);
    });
  }

  async bindPhone(
    input: { bindTicket: string; token: string; deviceId?: string | null },
    http: HttpPair,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    return this.audit.failuresOf('CARRIER', meta, async () => {
      const { ticket } = await this.binding.openTicket(input.bindTicket);
      const phone = await this.phoneOf(input, http, meta);
      return this.binding.bindVerifiedPhone(ticket, phone, input, meta);
    });
  }

  private async phoneOf(
    input: { token: string; deviceId?: string | null },
    http: HttpPair,
    meta: RequestMeta,
  ): Promise<string> {
    const connector = this.registry.connectorOf(CarrierConnector.id);
    const app = connector.appFor(null);
    if (!app) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    const carrierInput = { token: input.token, deviceId: input.deviceId ?? null, ip: meta.ip ?? null };
    try {
      const { phone } = await this.verification.run<VerifiedPhone>(connector, http, {
        input: carrierInput,
        appId: app,
      });
      return phone;
    } catch (error) {
      throw connector.toDomainError(error);
    }
  }
}
