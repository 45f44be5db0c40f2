import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.service';
import { HuaweiClient } from '../../providers/huawei/huawei.client';
import { parseMobilePhone } from '../../users/phone-number';
import { ConnectorAnswer, Connector, requireCode, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';

export interface HuaweiInput {
  authorizationCode: string;
}

type HuaweiAccount = Awaited<ReturnType<HuaweiClient['exchangeCode']>>;

/**
 * Huawei ID (HarmonyOS NEXT, AppGallery's rule beside WeChat): the code is exchanged at Huawei's OAuth
 * server and its id_token verified; the person is keyed on the UnionID. A phone Huawei returns is
 * verified (Huawei's own one-tap): a new person with one needs no bind step.
 */
@Injectable()
export class HuaweiConnector extends Connector {
  static readonly id = 'huawei';
  static readonly provider = 'huawei';
  override readonly provider = HuaweiConnector.provider;
  private readonly regions: string[];

  constructor(
    registry: ConnectorRegistry,
    private readonly huawei: HuaweiClient,
    config: AppConfig,
  ) {
    super(HuaweiConnector.id, registry);
    this.regions = config.get('allowedPhoneRegions');
  }

  override appFor(): string | null {
    return this.huawei.configured ? this.huawei.clientId : null;
  }

  override codeOf(input: HuaweiInput): string {
    return requireCode(input.authorizationCode, 'authorizationCode', 2048);
  }

  protected override verify({ input }: VerifyRequest<HuaweiInput>): Promise<HuaweiAccount> {
    return this.huawei.exchangeCode(input.authorizationCode);
  }

  validate(account: HuaweiAccount): ConnectorAnswer {
    return {
      verified: {
        provider: 'huawei',
        appId: this.huawei.clientId,
        subject: account.openId,
        unionid: account.unionId,
        channel: null,
        profile: {},
        verifiedPhone: this.allowedPhone(account.phone),
      },
      grant: null,
    };
  }

  /** A number outside the allowed countries is simply not used. */
  private allowedPhone(phone: string | null | undefined): string | null {
    if (!phone) return null;
    try {
      return parseMobilePhone(phone, this.regions);
    } catch {
      return null;
    }
  }
}
