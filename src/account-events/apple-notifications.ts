import { Body, Controller, HttpCode, Injectable, OnModuleInit, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { metaOf } from '../common/request-meta';
import { ReceiverRateLimit } from './receiver-rate-limit';
import { AppleClient } from '../providers/apple/apple.client';
import { ProviderRejectedError } from '../providers/provider-errors';
import { ProviderEvent, ProviderEventContext } from '../provider-events/provider-event';
import { ProviderEventHandlers } from '../provider-events/provider-event-handlers';
import { ProviderEventInbox } from '../provider-events/provider-event-inbox.service';
import { Public } from '../sessions/access.decorator';
import { ProviderEventRefused, refusedAsHttp } from './event-refused';
import { ProviderEventEffects } from './provider-event-effects.service';

/**
 * Apple's server-to-server notifications (`POST /providers/apple/notifications`, `{payload: <JWT>}`):
 * verified with the identity-token keys (AppleClient), stored in the inbox under the JWT's `jti`
 * before the 200, then applied: consent-revoked unlinks, account-delete unlinks and deletes an account
 * left with no way in, email-disabled / email-enabled update the stored relay address.
 */
@Injectable()
export class AppleNotifications implements OnModuleInit {
  constructor(
    private readonly apple: AppleClient,
    private readonly inbox: ProviderEventInbox,
    private readonly handlers: ProviderEventHandlers,
    private readonly effects: ProviderEventEffects,
  ) {}

  onModuleInit(): void {
    const on = (type: string, apply: (event: ProviderEvent, context: ProviderEventContext) => Promise<void>) =>
      this.handlers.register('apple', type, apply);
    // Apple revoked the tokens itself: no /auth/revoke is sent for these two.
    on('consent-revoked', (event, context) => this.effects.withdraw(event, context, keyOf(event), 'consent-withdrawn'));
    on('account-delete', (event, context) => this.effects.withdraw(event, context, keyOf(event), 'account-deleted'));
    on('email-disabled', (event, context) => this.effects.setEmail(event, context, keyOf(event), null));
    on('email-enabled', (event, context) =>
      this.effects.setEmail(event, context, keyOf(event), stringOr(event.payload.email)),
    );
  }

  /** Verifies and stores one delivery; `stored: false` for a repeat. */
  async receive(body: unknown): Promise<{ id: string; stored: boolean }> {
    if (!this.apple.configured) throw new ProviderEventRefused(404, 'Sign in with Apple is not configured');
    const payload = (body as { payload?: unknown } | null)?.payload;
    if (typeof payload !== 'string' || payload === '') throw new ProviderEventRefused(400, 'no payload');
    let notification;
    try {
      notification = await this.apple.verifyNotification(payload);
    } catch (error) {
      if (error instanceof ProviderRejectedError) throw new ProviderEventRefused(401, 'not signed by Apple for us');
      // Apple's keys out of reach: Apple delivers again later.
      throw new ProviderEventRefused(503, 'keys unavailable');
    }
    return this.inbox.store({
      provider: 'apple',
      appId: notification.bundleId,
      dedupeKey: notification.jti,
      eventType: notification.type,
      payload: { sub: notification.sub, email: notification.email, isPrivateEmail: notification.isPrivateEmail },
    });
  }
}

@Controller('providers/apple/notifications')
export class AppleNotificationsController {
  constructor(
    private readonly notifications: AppleNotifications,
    private readonly inbox: ProviderEventInbox,
    private readonly limit: ReceiverRateLimit,
  ) {}

  /** 200 once stored; applied after the answer has gone. */
  @Public()
  @Post()
  @HttpCode(200)
  async receive(
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ ok: true }> {
    await refusedAsHttp(this.limit.take('apple', metaOf(req).ip), res);
    const { id, stored } = await refusedAsHttp(this.notifications.receive(body), res);
    if (stored) res.once('finish', () => this.inbox.applySoon(id));
    return { ok: true };
  }
}

function keyOf(event: ProviderEvent) {
  return { provider: 'apple' as const, appId: event.appId, subject: String(event.payload.sub) };
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
