import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { maskPhone } from '../common/mask';
import { AppConfig } from '../config/app-config.service';
import { asSql } from '../database/sql';
import { isUniqueViolation } from '../database/database-errors';
import { IdentitiesRepository, type IdentityKey } from '../identities/identities.repository';
import type { ProviderEvent, ProviderEventContext } from '../provider-events/provider-event';
import { parseMobilePhone } from '../users/phone-number';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { WebhookEvents } from '../webhooks/webhook-events';

/**
 * A provider says the person's phone number changed: the user's phone follows when the new number is
 * free; when another user holds it nothing moves and the case is recorded for admins (`phone.conflict`
 * in the audit log, with both users), as a unionid conflict is.
 */
@Injectable()
export class PhoneChangeEffect {
  private readonly regions: string[];

  constructor(
    private readonly identityRows: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly userRows: UsersRepository,
    private readonly webhooks: WebhookEvents,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
  }

  async apply(event: ProviderEvent, context: ProviderEventContext, key: IdentityKey, rawPhone: unknown) {
    let phone: string;
    try {
      phone = parseMobilePhone(typeof rawPhone === 'string' ? rawPhone : '', this.regions);
    } catch {
      // Nothing we could store: applied as nothing, and said so.
      await context.commit((manager) =>
        this.audit.record(
          { action: `${key.provider}.phone_unusable`, details: { eventId: event.id, appId: key.appId } },
          manager,
        ),
      );
      return;
    }
    await context.commit(async (manager) => {
      const found = await this.identityRows.findForSignIn(manager, key, null, false);
      const userId = found?.identity.userId;
      if (!userId) return;
      const user = await this.users.findById(userId, manager);
      if (!user || user.status !== 'active' || user.phone === phone) return;
      const holder = await this.userRows.findByPhone(asSql(manager), phone);
      let moved = !holder;
      if (moved) {
        try {
          await this.users.adopt(manager, userId, { phone });
        } catch (error) {
          // Taken between the read and the write: the unique key decided.
          if (!isUniqueViolation(error)) throw error;
          moved = false;
        }
      }
      if (!moved) {
        const holderId = holder?.id ?? (await this.userRows.findByPhone(asSql(manager), phone))?.id ?? null;
        await this.audit.record(
          {
            action: 'phone.conflict',
            subjectUserId: userId,
            details: {
              provider: key.provider,
              appId: key.appId,
              phone: maskPhone(phone),
              holderUserId: holderId,
              otherUserId: userId,
              eventId: event.id,
            },
          },
          manager,
        );
        return;
      }
      await this.webhooks.emit(manager, 'phone.changed', { userId, phone });
      await this.audit.record(
        {
          action: `${key.provider}.phone_changed`,
          subjectUserId: userId,
          details: {
            appId: key.appId,
            from: user.phone ? maskPhone(user.phone) : null,
            to: maskPhone(phone),
            eventId: event.id,
          },
        },
        manager,
      );
    });
  }
}
