import { AuditService } from '../../audit/audit.service';
import { Injectable } from '@nestjs/common';
import { RequestMeta } from '../../common/request-meta';
import { AppConfig } from '../../config/app-config.service';
import { Database } from '../../database/database.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { AccountLinkingService, DeviceInfo, SignInOutcome } from '../../identities/account-linking.service';
import type { VerifiedIdentity } from '../../identities/verified-identity';
import { parseMobilePhone } from '../../users/phone-number';
import { UserEntity } from '../../users/user.entity';
import { HuaweiClient } from './huawei.client';

/**
 * Huawei ID (HarmonyOS NEXT, AppGallery's rule beside WeChat): the code is exchanged at Huawei's OAuth
 * server and its id_token verified; the person is keyed on the UnionID. A phone Huawei returns is
 * verified (Huawei's own one-tap): a new person with one needs no bind step.
 */
@Injectable()
export class HuaweiLoginService {
  private readonly regions: string[];

  constructor(
    private readonly huawei: HuaweiClient,
    private readonly database: Database,
    private readonly linking: AccountLinkingService,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
  }

  async login(authorizationCode: string, device: DeviceInfo, meta: RequestMeta): Promise<SignInOutcome> {
    return this.audit.failuresOf('HUAWEI', meta, async () => {
      const verified = await this.verify(authorizationCode);
      return this.database.transaction((manager) => this.linking.signIn(manager, verified, device, meta));
    });
  }

  async link(authorizationCode: string, userId: string, meta: RequestMeta): Promise<UserEntity> {
    const verified = await this.verify(authorizationCode);
    const { user } = await this.database.transaction((manager) =>
      this.linking.link(manager, { ...verified, verifiedPhone: null }, userId, meta),
    );
    return user;
  }

  private async verify(authorizationCode: string): Promise<VerifiedIdentity> {
    if (!this.huawei.configured) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    const account = await this.huawei.exchangeCode(authorizationCode);
    let phone: string | null = null;
    if (account.phone) {
      try {
        phone = parseMobilePhone(account.phone, this.regions);
      } catch {
        phone = null; // a number outside the allowed countries is simply not used
      }
    }
    return {
      provider: 'huawei',
      appId: this.huawei.clientId,
      subject: account.openId,
      unionid: account.unionId,
      channel: null,
      profile: {},
      verifiedPhone: phone,
    };
  }
}
