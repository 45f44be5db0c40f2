import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../database/database-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { IdentityEntity } from './identity.entity';

/** Who may own an identity, and giving it to them: the two rules every way of linking shares. */
@Injectable()
export class IdentityOwnershipService {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly identityRows: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly clock: Clock,
    private readonly webhooks: WebhookEvents,
  ) {}

  /** The user already has another account of this identity's provider (another person's, as far as we can tell). */
  async belongsToAnotherPerson(manager: EntityManager, userId: string, identity: IdentityEntity): Promise<boolean> {
    const existing = await this.identities.forUser(userId, manager);
    // Same provider app: always someone else (one account per app). Other apps of the provider: the
    // same person only when both carry the same unionid; without unionids nobody can tell, so no.
    return existing.some(
      (other) =>
        other.id !== identity.id &&
        other.provider === identity.provider &&
        (other.appId === identity.appId || !other.unionid || other.unionid !== identity.unionid),
    );
  }

  /** Gives a free identity to the user; a lost race answers `onRace`. */
  async attach(manager: EntityManager, identity: IdentityEntity, user: UserEntity, onRace: ErrorCode): Promise<void> {
    const now = this.clock.now();
    try {
      if (!(await this.identityRows.attachIfFree(manager, identity.id, user.id, now)))
        throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError(onRace);
      throw error;
    }
    await this.webhooks.emit(manager, 'identity.linked', linkedData(identity, user.id));
    // A user without a profile takes the provider's one.
    if (!user.nickname && (identity.nickname || identity.avatarUrl)) {
      await this.users.adopt(manager, user.id, { nickname: identity.nickname, avatarUrl: identity.avatarUrl });
      user.nickname = identity.nickname;
      user.avatarUrl = identity.avatarUrl;
    }
  }
}

/** identity.linked / identity.unlinked: whose, which provider and app (never the subject or a token). */
export function linkedData(
  identity: IdentityEntity,
  userId: string,
): { userId: string; provider: string; appId: string } {
  return { userId, provider: identity.provider, appId: identity.appId };
}
