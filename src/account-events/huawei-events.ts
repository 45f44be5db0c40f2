import { Body, Controller, Headers, HttpCode, Injectable, OnModuleInit, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { metaOf } from '../common/request-meta';
import { ReceiverRateLimit } from './receiver-rate-limit';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock';
import type { HuaweiSettings } from '../config/areas/providers.config';
import { AppConfig } from '../config/app-config.service';
import { ProviderEvent } from '../provider-events/provider-event';
import { ProviderEventHandlers } from '../provider-events/provider-event-handlers';
import { ProviderEventInbox } from '../provider-events/provider-event-inbox.service';
import { Public } from '../sessions/access.decorator';
import { ProviderEventRefused, refusedAsHttp } from './event-refused';
import { PhoneChangeEffect } from './phone-change-effect.service';
import { ProviderEventEffects } from './provider-event-effects.service';

// An event whose time is further than this from our clock, either way, is refused (as WeChat's are):
// a captured delivery cannot be replayed later.
export const HUAWEI_EVENT_WINDOW_MS = 300_000;
const SIGNATURE_HEADER = 'x-notification-signature';

/**
 * Huawei Account Kit's user-information change events (`POST /providers/huawei/events`): JSON
 * `{clientId, openId, unionId?, eventType, eventTime, phone?}`, signed in `x-notification-signature`
 * with Base64(HMAC-SHA256(Base64-decoded HUAWEI_EVENT_SECRET, `<openId>_<eventType>_<eventTime>`)).
 * Verified (constant time), fresh, for our client id; stored under a hash of the signed string before
 * the 200, then applied.
 */
@Injectable()
export class HuaweiEvents implements OnModuleInit {
  private readonly settings: HuaweiSettings | null;

  constructor(
    private readonly inbox: ProviderEventInbox,
    private readonly handlers: ProviderEventHandlers,
    private readonly effects: ProviderEventEffects,
    private readonly phoneChange: PhoneChangeEffect,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.get('providers').huawei;
  }

  onModuleInit(): void {
    this.handlers.register('huawei', 'authorization-cancelled', (event, context) =>
      this.effects.withdraw(event, context, keyOf(event), 'consent-withdrawn'),
    );
    this.handlers.register('huawei', 'account-deleted', (event, context) =>
      this.effects.withdraw(event, context, keyOf(event), 'account-deleted'),
    );
    this.handlers.register('huawei', 'phone-changed', (event, context) =>
      this.phoneChange.apply(event, context, keyOf(event), event.payload.phone),
    );
  }

  async receive(body: unknown, signature: string | undefined): Promise<{ id: string; stored: boolean }> {
    const secret = this.settings?.eventSecret;
    if (!this.settings || !secret) throw new ProviderEventRefused(404, 'no Huawei event subscription configured');
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ProviderEventRefused(400, 'not JSON');
    const fields = body as Record<string, unknown>;
    const openId = text(fields.openId, 128);
    const eventType = text(fields.eventType, 64);
    const eventTime =
      typeof fields.eventTime === 'number' && Number.isSafeInteger(fields.eventTime) ? fields.eventTime : null;
    if (!openId || !eventType || eventTime === null) throw new ProviderEventRefused(400, 'not a Huawei event');
    const signed = `${openId}_${eventType}_${eventTime}`;
    const expected = createHmac('sha256', Buffer.from(secret, 'base64')).update(signed).digest();
    const given = typeof signature === 'string' ? Buffer.from(signature, 'base64') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ProviderEventRefused(401, 'bad signature');
    }
    if (Math.abs(this.clock.nowMs() - eventTime) > HUAWEI_EVENT_WINDOW_MS)
      throw new ProviderEventRefused(403, 'stale event');
    if (fields.clientId !== this.settings.clientId) throw new ProviderEventRefused(403, 'not for our client id');
    return this.inbox.store({
      provider: 'huawei',
      appId: this.settings.clientId,
      dedupeKey: createHash('sha256').update(signed).digest('hex'),
      eventType,
      payload: { openId, unionId: text(fields.unionId, 128), phone: text(fields.phone, 32) },
    });
  }
}

@Controller('providers/huawei/events')
export class HuaweiEventsController {
  constructor(
    private readonly events: HuaweiEvents,
    private readonly inbox: ProviderEventInbox,
    private readonly limit: ReceiverRateLimit,
  ) {}

  @Public()
  @Post()
  @HttpCode(200)
  async receive(
    @Body() body: unknown,
    @Headers(SIGNATURE_HEADER) signature: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ ok: true }> {
    await refusedAsHttp(this.limit.take('huawei', metaOf(req).ip), res);
    const { id, stored } = await refusedAsHttp(this.events.receive(body, signature), res);
    if (stored) res.once('finish', () => this.inbox.applySoon(id));
    return { ok: true };
  }
}

function keyOf(event: ProviderEvent) {
  return { provider: 'huawei' as const, appId: event.appId, subject: String(event.payload.openId) };
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value !== '' && value.length <= max ? value : null;
}
