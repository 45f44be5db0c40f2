import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/database-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { SessionsService } from '../sessions/sessions.service';
import { signInRefusal } from '../users/sign-in-policy';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { IdentityConflictEntity } from './identity-conflict.entity';
import { IdentityEntity } from './identity.entity';
import { linkedData } from './identity-ownership.service';
import { IdentityProviderName } from './verified-identity';

/**
 * A unionid is the person: when two users turn out to be one, one is folded into the other, or, when
 * both would lose something, a conflict is recorded for an admin, who folds one later.
 */
@Injectable()
export class PersonFoldingService {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly identityRows: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly webhooks: WebhookEvents,
  ) {}

  /**
   * After this, every identity carrying `unionid` belongs to one user. When it arrives for an
   * identity already bound to user A while user B holds it: attach when nobody else has it; fold A
   * into B (or B into A) when one of them has no phone and no other identity; else keep both, move
   * the identity to B (logins go to the unionid holder) and record a conflict for admins.
   */
  async settlePerson(
    manager: EntityManager,
    identity: IdentityEntity,
    unionid: string | null,
    meta: RequestMeta,
    /** Another holder of `unionid`, when the caller read it already (undefined: not read). */
    knownHolder?: string | null,
  ): Promise<IdentityEntity> {
    if (!unionid) return identity;
    if (identity.unionid !== unionid) {
      await this.identityRows.setUnionid(manager, identity.id, unionid, this.clock.now());
      identity = { ...identity, unionid };
    }
    const holder =
      knownHolder !== undefined
        ? knownHolder
        : (await this.identities.holdersOf(manager, identity.provider, unionid, identity.id)).filter(
            (userId) => userId !== identity.userId,
          )[0];
    if (!holder) return identity;
    if (!identity.userId) {
      if (await this.identityRows.attachIfFree(manager, identity.id, holder, this.clock.now())) {
        await this.webhooks.emit(manager, 'identity.linked', linkedData(identity, holder));
        return { ...identity, userId: holder };
      }
      return (await this.identities.findById(identity.id, manager)) ?? identity;
    }
    const other = identity.userId;
    if (await this.isBare(manager, other, identity.provider, unionid)) {
      await this.fold(manager, other, holder, meta, { unionid: true });
      return { ...identity, userId: holder };
    }
    if (await this.isBare(manager, holder, identity.provider, unionid)) {
      await this.fold(manager, holder, other, meta, { unionid: true });
      return identity;
    }
    try {
      await this.identityRows.moveToUser(manager, identity.id, holder, this.clock.now());
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return identity;
    }
    await this.identityRows.insertConflict(manager, {
      id: newId(),
      provider: identity.provider,
      unionid,
      holderUserId: holder,
      otherUserId: other,
      createdAt: this.clock.now(),
      resolvedAt: null,
      keptUserId: null,
      resolvedBy: null,
    });
    await this.audit.record(
      {
        action: 'identity.conflict',
        subjectUserId: holder,
        ip: meta.ip,
        details: { holderUserId: holder, otherUserId: other, provider: identity.provider, appId: identity.appId },
      },
      manager,
    );
    return { ...identity, userId: holder };
  }

  listConflicts(first: number, after: string | null, resolved: boolean): Promise<IdentityConflictEntity[]> {
    return this.identityRows.listConflicts(first, after, resolved);
  }

  /** An admin keeps one user of a conflict; the other is folded into it. */
  async resolveConflict(id: string, keepUserId: string, adminId: string, meta: RequestMeta): Promise<string> {
    return this.database.transaction(async (manager) => {
      const conflict = await this.identityRows.findConflict(manager, id);
      if (!conflict || conflict.resolvedAt) throw DomainError.badInput('id', 'no open conflict with this id');
      const ids = [conflict.holderUserId, conflict.otherUserId];
      if (!ids.includes(keepUserId)) throw DomainError.badInput('keepUserId', 'not a user of this conflict');
      const other = ids.find((u) => u !== keepUserId)!;
      if (!(await this.identityRows.closeConflict(manager, id, keepUserId, adminId, this.clock.now())))
        throw DomainError.badInput('id', 'no open conflict with this id');
      await this.fold(manager, other, keepUserId, meta, { conflictId: id, by: adminId });
      return keepUserId;
    });
  }

  /** No phone and no identity other than this person's (at this provider): nothing would be lost. */
  private async isBare(
    manager: EntityManager,
    userId: string,
    provider: IdentityProviderName,
    unionid: string,
  ): Promise<boolean> {
    const user = await this.users.findById(userId, manager);
    // A banned user is never folded away: their identities would leave the ban with them.
    if (!user || user.phone || signInRefusal(user) === ErrorCode.USER_BANNED) return false;
    const identities = await this.identities.forUser(userId, manager);
    return identities.every((i) => i.provider === provider && i.unionid === unionid);
  }

  /** `loser` becomes part of `survivor`: identities moved, sessions revoked, the row kept as merged. */
  private async fold(
    manager: EntityManager,
    loserId: string,
    survivorId: string,
    meta: RequestMeta,
    why: Record<string, unknown>,
  ): Promise<void> {
    const loser = await this.users.findById(loserId, manager);
    const survivor = await this.users.findById(survivorId, manager);
    if (!loser || !survivor) throw new DomainError(ErrorCode.INTERNAL);
    const dropped: string[] = [];
    for (const identity of await this.identities.forUser(loserId, manager)) {
      try {
        await this.identityRows.moveToUser(manager, identity.id, survivorId, this.clock.now());
      } catch (error) {
        // The survivor already has an account of this provider app: one per app per user.
        if (!isUniqueViolation(error)) throw error;
        await this.identityRows.deleteByIds(manager, [identity.id]);
        dropped.push(`${identity.provider}:${identity.appId}`);
      }
    }
    const sessionsRevoked = await this.sessions.revokeAllForUser(manager, loserId, 'merged');
    const movedPhone = !survivor.phone && loser.phone ? loser.phone : null;
    await this.users.markMerged(manager, loserId, survivorId);
    if (movedPhone || (!survivor.nickname && loser.nickname)) {
      await this.users.adopt(manager, survivorId, {
        phone: movedPhone ?? undefined,
        nickname: survivor.nickname ? undefined : loser.nickname,
        avatarUrl: survivor.avatarUrl ? undefined : loser.avatarUrl,
      });
    }
    await this.webhooks.emit(manager, 'user.merged', { fromUserId: loserId, intoUserId: survivorId });
    if (movedPhone) await this.webhooks.emit(manager, 'phone.changed', { userId: survivorId, phone: movedPhone });
    await this.audit.record(
      {
        action: 'user.merged',
        subjectUserId: survivorId,
        ip: meta.ip,
        details: {
          fromUserId: loserId,
          intoUserId: survivorId,
          sessionsRevoked,
          droppedIdentities: dropped,
          droppedPhone: loser.phone && !movedPhone ? maskPhone(loser.phone) : null,
          ...why,
        },
      },
      manager,
    );
  }
}
