import { Injectable } from '@nestjs/common';
import { RequestMeta } from '../common/request-meta';
import { ConnectorReauthentication, ReauthProof } from '../connectors/connector-reauthentication.service';
import type { HttpPair } from '../connectors/connector-verification.service';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { IdentitiesService } from '../identities/identities.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SmsCodesService } from '../sms/sms-codes.service';
import { assertNotGone } from '../users/sign-in-policy';
import { UsersService } from '../users/users.service';
import { AccountDeletionService, DeletionSummary } from './account-deletion.service';

/** What confirms a deleteMyAccount: exactly one of an SMS code (users with a phone) or a fresh provider proof. */
export interface DeletionConfirmation {
  smsCode?: string | null;
  captchaToken?: string | null;
  reauth?: ReauthProof | null;
}

/**
 * deleteMyAccount: the owner confirms, by the phone's DELETE_ACCOUNT code (as ever) or by a fresh
 * proof of any provider linked to them (ConnectorReauthentication: the login's own verification,
 * single use, then "is it theirs"), and the one cascade runs in the same transaction.
 */
@Injectable()
export class MyAccountDeletionService {
  constructor(
    private readonly database: Database,
    private readonly smsCodes: SmsCodesService,
    private readonly users: UsersService,
    private readonly identities: IdentitiesService,
    private readonly reauthentication: ConnectorReauthentication,
    private readonly deletion: AccountDeletionService,
    private readonly sessions: SessionsRepository,
  ) {}

  /** Confirmed by the phone's DELETE_ACCOUNT code, or by a fresh proof of a linked provider. */
  async deleteMyAccount(
    { userId, sessionId }: { userId: string; sessionId: string },
    confirmation: DeletionConfirmation,
    http: HttpPair,
    meta: RequestMeta,
  ): Promise<DeletionSummary> {
    const { smsCode, reauth } = confirmation;
    if ((smsCode == null) === (reauth == null)) {
      throw DomainError.badInput('smsCode', 'send smsCode or reauth, exactly one of them');
    }
    const user = await this.users.findById(userId);
    assertNotGone(user);
    if (reauth) {
      const deviceId = await this.sessions.findDeviceId(sessionId);
      const proof = await this.reauthentication.verify(reauth, { userId, deviceId }, http);
      try {
        return await this.database.transaction(async (manager) => {
          const identity = await this.reauthentication.confirm(manager, proof, userId);
          // Apple's newest refresh token is the one surely alive: the revocation at deletion sends it.
          if (proof.verified.secret && identity.subject === proof.verified.subject) {
            await this.identities.upsert(manager, proof.verified);
          }
          return this.deletion.deleteUser(manager, userId, `reauth:${reauth.provider}`, meta);
        });
      } catch (error) {
        await this.reauthentication.settleFailed(proof, error);
        throw error;
      }
    }
    if (!user.phone) throw DomainError.badInput('smsCode', 'this account has no phone number: confirm with reauth');
    const check = {
      phone: user.phone,
      purpose: 'DELETE_ACCOUNT' as const,
      code: smsCode!,
      source: { ip: meta.ip, captchaToken: confirmation.captchaToken },
      // Signed in as the phone's user: the code is theirs from wherever they confirm.
      owner: true,
    };
    return this.smsCodes.redeem(check, () =>
      this.database.transaction((manager) => this.deletion.deleteUser(manager, userId, 'sms', meta)),
    );
  }
}
