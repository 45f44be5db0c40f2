import { Injectable } from '@nestjs/common';
import { DomainError } from '../../errors/domain-error';
import { MiniProgramSession, WechatApiClient } from '../../wechat/wechat-api.client';
import { ConnectorAnswer, Connector, requireCode, VerifyRequest } from '../connector.strategy';
import { ConnectorRegistry } from '../connector-registry';
import { MAX_WECHAT_CODE_LENGTH, WECHAT_ERRORS, WechatCodeInput, wechatDomainError } from './wechat.connector';

/**
 * Mini programs: `wx.login()`'s js code → `/sns/jscode2session`. No state and no user grant; the
 * session_key is kept encrypted on the identity (replaced at each login). A js code seen before is
 * refused, with no per-device replay.
 */
@Injectable()
export class WechatMiniProgramConnector extends Connector {
  static readonly id = 'wechat-mini-program';
  static readonly provider = 'wechat';
  override readonly provider = WechatMiniProgramConnector.provider;
  override readonly errors = WECHAT_ERRORS;
  override readonly replays = 'refuse';

  constructor(
    registry: ConnectorRegistry,
    private readonly client: WechatApiClient,
  ) {
    super(WechatMiniProgramConnector.id, registry);
  }

  override appFor(named: string | null): string | null {
    const app = named ? this.client.app(named) : this.client.firstAppOf('mini_program');
    return app?.channel === 'mini_program' ? app.appId : null;
  }

  override codeOf(input: WechatCodeInput): string {
    return requireCode(input.code, 'code', MAX_WECHAT_CODE_LENGTH);
  }

  protected override async verify({
    input,
    appId,
  }: VerifyRequest<WechatCodeInput>): Promise<MiniProgramSession & { appId: string }> {
    return { ...(await this.client.miniProgramSession(appId, input.code)), appId };
  }

  validate(session: MiniProgramSession & { appId: string }): ConnectorAnswer {
    return {
      verified: {
        provider: 'wechat',
        appId: session.appId,
        subject: session.openid,
        unionid: session.unionid,
        channel: 'mini_program',
        profile: {},
        secret: session.sessionKey,
      },
      grant: null,
    };
  }

  override toDomainError(error: unknown): DomainError {
    return wechatDomainError(error);
  }
}
