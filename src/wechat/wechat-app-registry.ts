import type { WechatAppCredentials, WechatChannelName } from '../config/app-config';
import { WechatApiError } from './wechat-errors';

/** The configured WeChat apps and their secrets, by app id. Secrets never leave through here but to WeChat. */
export class WechatAppRegistry {
  private readonly apps = new Map<string, WechatAppCredentials>();

  constructor(apps: readonly WechatAppCredentials[]) {
    for (const app of apps) this.apps.set(app.appId, app);
  }

  get appIds(): string[] {
    return [...this.apps.keys()];
  }

  app(appId: string): WechatAppCredentials | null {
    return this.apps.get(appId) ?? null;
  }

  firstAppOf(channel: WechatChannelName): WechatAppCredentials | null {
    for (const app of this.apps.values()) if (app.channel === channel) return app;
    return null;
  }

  has(appId: string): boolean {
    return this.apps.has(appId);
  }

  /** An app we do not know is our configuration's fault: WeChat's own "invalid appid" (40013). */
  secretOf(appId: string): string {
    const secret = this.apps.get(appId)?.secret;
    if (!secret) throw new WechatApiError(40013);
    return secret;
  }
}
