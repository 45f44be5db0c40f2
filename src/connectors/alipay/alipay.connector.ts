import { Injectable } from '@nestjs/common';
import { Platform } from '../../common/enums';
import { AppConfig } from '../../config/app-config.service';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import type { AlipayIdentity } from '../../providers/alipay/alipay.client';
import { ProviderCalls } from '../../providers/provider-calls';
import { ConnectorAnswer, Connector, requireCode, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';
import { AlipayApps } from './alipay-apps';

export interface AlipayInput {
  authCode: string;
  appId?: string | null;
}

// Every Alipay app's codes share one record space: a code is claimed once whichever app the client
// names, so Alipay never sees it twice (the app is read from the input when the code is verified).
const RECORDS = 'alipay';

/**
 * Alipay login from the Alipay app SDK (授权登录) or an Alipay mini program (my.getAuthCode): the
 * single-use auth code goes through alipay.system.oauth.token (RSA2 both ways), and the identity is
 * the user_id or the open_id, as the app is configured. Alipay has no cross-app id (no unionid): one
 * person in two of our Alipay apps is two identities until they link them or share a phone.
 */
@Injectable()
export class AlipayConnector extends Connector {
  static readonly id = 'alipay';
  static readonly provider = 'alipay';
  override readonly provider = AlipayConnector.provider;
  // Alipay's app SDK (授权登录) is Android and iOS; mini programs call alipayLogin without a button here.
  override readonly loginPlatforms = [Platform.ANDROID, Platform.IOS] as const;

  private readonly apps: AlipayApps;

  constructor(registry: ConnectorRegistry, config: AppConfig, calls: ProviderCalls) {
    super(AlipayConnector.id, registry);
    this.apps = new AlipayApps(config.get('providers').alipay, calls);
  }

  override appFor(named: string | null): string | null {
    if (named === RECORDS) return this.apps.configured ? RECORDS : null;
    return this.apps.appOf(named) ? RECORDS : null;
  }

  override codeOf(input: AlipayInput): string {
    return requireCode(input.authCode, 'authCode', 128);
  }

  protected override verify({ input }: VerifyRequest<AlipayInput>): Promise<AlipayIdentity> {
    const app = this.apps.appOf(input.appId ?? null);
    if (!app) return Promise.reject(new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED));
    return this.apps.clientOf(app).exchangeAuthCode(input.authCode);
  }

  validate(alipay: AlipayIdentity): ConnectorAnswer {
    return {
      verified: {
        provider: 'alipay',
        appId: alipay.appId,
        subject: alipay.subject,
        unionid: null,
        channel: null,
        // Alipay's tokens are not kept: nothing here calls Alipay for a user after the login.
        profile: { nickname: alipay.nickname, avatarUrl: alipay.avatarUrl },
      },
      grant: null,
    };
  }
}
