import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ProviderEvent } from '../../provider-events/provider-event';
import { ProviderEventHandlers } from '../../provider-events/provider-event-handlers';
import { FOLLOW_SCAN_LISTENER, type FollowScanListener } from './follow-scan.listener';

const SCENE_PREFIX = 'qrscene_';

/**
 * Follow login's side of the inbox: WeChat's `subscribe` (with `EventKey` qrscene_<scene>) and `SCAN`
 * (`EventKey` <scene>) events become a FollowScan for the listener. A plain follow, without a QR code
 * of ours, has no scene and is done with.
 */
@Injectable()
export class WechatFollowEvents implements OnModuleInit {
  constructor(
    private readonly handlers: ProviderEventHandlers,
    @Inject(FOLLOW_SCAN_LISTENER) private readonly listener: FollowScanListener,
  ) {}

  onModuleInit(): void {
    this.handlers.register('wechat', 'subscribe', (event) => this.onScan(event, 'subscribe'));
    this.handlers.register('wechat', 'SCAN', (event) => this.onScan(event, 'SCAN'));
  }

  private async onScan(event: ProviderEvent, kind: 'subscribe' | 'SCAN'): Promise<void> {
    const scene = sceneOf(event.payload.EventKey, kind);
    const openid = event.payload.FromUserName;
    if (!scene || typeof openid !== 'string' || openid === '') return;
    const ticket = typeof event.payload.Ticket === 'string' ? event.payload.Ticket : null;
    await this.listener.onFollowScan({ appId: event.appId, openid, scene, event: kind, ticket, eventId: event.id });
  }
}

/** The scene of a scan: `qrscene_<scene>` on subscribe, `<scene>` on SCAN; null without one. */
export function sceneOf(eventKey: unknown, kind: 'subscribe' | 'SCAN'): string | null {
  if (typeof eventKey !== 'string' || eventKey === '') return null;
  if (kind === 'SCAN') return eventKey;
  return eventKey.startsWith(SCENE_PREFIX) && eventKey.length > SCENE_PREFIX.length
    ? eventKey.slice(SCENE_PREFIX.length)
    : null;
}
