import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { RequestMeta } from '../common/request-meta';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { SignedIn } from '../identities/account-linking.service';
import { IdentitiesService } from '../identities/identities.service';
import { IdentityEntity } from '../identities/identity.entity';
import { SessionsService } from '../sessions/sessions.service';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { WechatApiClient } from './wechat-api.client';
import { toDomainError, WechatApiError } from './wechat-errors';
import { WechatGrantsService } from './wechat-grants.service';

// /sns/auth answers that mean "this access token is no good, try the refresh token".
const ACCESS_TOKEN_DEAD = new Set([40001, 40014, 42001]);
const GRANT_DEAD = new Set([40030, 42002, 42007]);

/**
 * wechatRelogin: checks the session, then every WeChat grant of the user (/sns/auth); an invalid
 * access token is renewed with the refresh token. Identities without a grant (mini programs) are
 * skipped. A dead grant answers REAUTH_REQUIRED, marks the grant, and leaves the session untouched.
 */
@Injectable()
export class WechatReloginService {
  constructor(
    private readonly database: Database,
    private readonly client: WechatApiClient,
    private readonly identities: IdentitiesService,
    private readonly grants: WechatGrantsService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  async relogin(refreshToken: string, meta: RequestMeta): Promise<SignedIn> {
    const userId = await this.sessions.peekUser(refreshToken);
    if (!userId) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const identities = (await this.identities.forUser(userId)).filter((i) => i.provider === 'wechat');
    const grants = await this.grants.grantsFor(identities.map((i) => i.id));
    for (const grant of grants) {
      if (grant.status !== 'active') throw new DomainError(ErrorCode.REAUTH_REQUIRED);
      await this.checkGrant(
        identities.find((i) => i.id === grant.identityId)!,
        grant,
      );
    }
    const result = await this.sessions.refresh(refreshToken, meta);
    await this.audit.record({
      action: 'login.wechat_relogin',
      actorUserId: userId,
      subjectUserId: userId,
      ip: meta.ip,
    });
    return result;
  }

  private async checkGrant(identity: IdentityEntity, grant: WechatGrantEntity): Promise<void> {
    const { accessToken, refreshToken } = this.grants.openGrant(grant);
    try {
      await this.client.checkAccessToken(identity.appId, accessToken, identity.subject);
      return;
    } catch (error) {
      if (!(error instanceof WechatApiError)) throw toDomainError(error);
      if (GRANT_DEAD.has(error.errcode)) return this.grantDied(grant.id, error.errcode);
      if (!ACCESS_TOKEN_DEAD.has(error.errcode)) throw toDomainError(error);
    }
    try {
      const renewed = await this.client.refresh(identity.appId, refreshToken);
      await this.database.transaction((manager) => this.grants.storeGrant(manager, identity.id, renewed, false));
    } catch (error) {
      if (error instanceof WechatApiError && GRANT_DEAD.has(error.errcode))
        return this.grantDied(grant.id, error.errcode);
      throw toDomainError(error);
    }
  }

  private async grantDied(grantId: string, errcode: number): Promise<never> {
    await this.grants.markReauthRequired(grantId, errcode);
    throw new DomainError(ErrorCode.REAUTH_REQUIRED, undefined, { wechatErrcode: errcode });
  }
}
