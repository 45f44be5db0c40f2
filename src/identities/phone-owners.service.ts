import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { assertMaySignIn } from '../users/sign-in-policy';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { IdentityEntity } from './identity.entity';
import { IdentityOwnershipService } from './identity-ownership.service';

/** An identity joins the owner of a verified phone number (a bind ticket's last step, a provider's phone). */
@Injectable()
export class PhoneOwnersService {
  constructor(
    private readonly users: UsersService,
    private readonly ownership: IdentityOwnershipService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Joins the identity to the owner of a verified `phone`: a new user for an unknown phone, the
   * existing user when they have no account of this provider yet (or the same person through another
   * app: same unionid). A phone whose user is another person at this provider: PHONE_ALREADY_BOUND.
   */
  async join(
    manager: EntityManager,
    identity: IdentityEntity,
    phone: string,
    meta: RequestMeta,
  ): Promise<{ user: UserEntity; created: boolean }> {
    if (identity.userId) {
      const owner = await this.users.findById(identity.userId, manager);
      if (owner?.phone === phone) return { user: owner, created: false };
      throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    }
    const { user, created } = await this.users.findOrCreateByPhone(manager, phone);
    assertMaySignIn(user);
    if (await this.ownership.belongsToAnotherPerson(manager, user.id, identity))
      throw new DomainError(ErrorCode.PHONE_ALREADY_BOUND);
    await this.joinOwner(manager, identity, user, created, phone, meta);
    return { user, created };
  }

  /**
   * A phone the provider verified at some time (Huawei: up to 90 days ago, and numbers are recycled):
   * enough to make a new user of a number nobody holds, never to enter another user's account, whose
   * number the person must prove now (a bind ticket, then an SMS code or the carrier). Null then.
   */
  async joinIfUnheld(
    manager: EntityManager,
    identity: IdentityEntity,
    phone: string,
    meta: RequestMeta,
  ): Promise<UserEntity | null> {
    const { user, created } = await this.users.findOrCreateByPhone(manager, phone);
    if (!created) return null;
    await this.joinOwner(manager, identity, user, created, phone, meta);
    return user;
  }

  private async joinOwner(
    manager: EntityManager,
    identity: IdentityEntity,
    user: UserEntity,
    created: boolean,
    phone: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.ownership.attach(manager, identity, user, ErrorCode.PHONE_ALREADY_BOUND);
    await this.audit.record(
      {
        action: `${identity.provider}.bind`,
        actorUserId: user.id,
        subjectUserId: user.id,
        ip: meta.ip,
        details: { appId: identity.appId, channel: identity.channel, phone: maskPhone(phone), newUser: created },
      },
      manager,
    );
  }
}
