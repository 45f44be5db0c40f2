import { Injectable, OnModuleInit } from '@nestjs/common';
import type { IdentityKey } from '../identities/identities.repository';
import { ProviderEvent, ProviderEventContext } from '../provider-events/provider-event';
import { ProviderEventHandlers } from '../provider-events/provider-event-handlers';
import { ProviderEventEffects } from './provider-event-effects.service';

/**
 * WeChat's authorization-change events, pushed to the app's message server: the person withdrew
 * their authorization (`user_authorization_revoke`), deleted their WeChat account
 * (`user_authorization_cancellation`) or changed their profile (`user_info_modified`).
 */
@Injectable()
export class WechatAuthorizationEvents implements OnModuleInit {
  constructor(
    private readonly handlers: ProviderEventHandlers,
    private readonly effects: ProviderEventEffects,
  ) {}

  onModuleInit(): void {
    this.handlers.register('wechat', 'user_authorization_revoke', (event, context) =>
      this.withKey(event, (key) => this.effects.withdraw(event, context, key, 'consent-withdrawn')),
    );
    this.handlers.register('wechat', 'user_authorization_cancellation', (event, context) =>
      this.withKey(event, (key) => this.effects.withdraw(event, context, key, 'account-deleted')),
    );
    this.handlers.register('wechat', 'user_info_modified', (event, context: ProviderEventContext) =>
      this.withKey(event, (key) => this.effects.markProfileStale(event, context, key)),
    );
  }

  // The openid is <OpenID> (FromUserName carries the same for these events); the app is the one the
  // message server belongs to, which the receiver checked.
  private async withKey(event: ProviderEvent, work: (key: IdentityKey) => Promise<void>): Promise<void> {
    const openid = text(event.payload.OpenID) ?? text(event.payload.FromUserName);
    if (!openid) return;
    await work({ provider: 'wechat', appId: event.appId, subject: openid });
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
