import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { WechatAppCredentials, WechatMessageServer } from '../../config/app-config';
import { AppConfig } from '../../config/app-config.service';
import { ProviderEventInbox } from '../../provider-events/provider-event-inbox.service';
import { HitCounter } from '../../rate-limits/hit-counter';
import { TrustedSources } from '../../rate-limits/trusted-sources';
import { WechatAppRegistry } from '../wechat-app-registry';
import { messageSignature, openSafeMode, sameSignature } from './wechat-message-crypto';
import { dedupeKeyOf, eventTypeOf, field, parseWechatXml } from './wechat-event-xml';

// A push whose timestamp is further than this from our clock, either way, is refused: WeChat sends
// at once and retries within seconds, so five minutes leaves room for clock skew and nothing more.
export const TIMESTAMP_WINDOW_SECONDS = 300;

/** Why a push or handshake was refused; the controller answers `status` (nothing was stored). */
export class WechatPushRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429,
    readonly reason: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`WeChat push refused: ${reason}`);
  }
}

export type PushQuery = Record<string, unknown>;

/**
 * WeChat's message server for one app (`/providers/wechat/events/:appId`): the URL handshake, and each
 * pushed event verified (signature; in safe mode msg_signature, decryption and the AppID inside; a
 * fresh timestamp), then stored in the inbox before WeChat gets its answer.
 */
@Injectable()
export class WechatEventReceiver {
  private readonly apps: WechatAppRegistry;
  private readonly perIpPerMinute: number;

  constructor(
    private readonly inbox: ProviderEventInbox,
    private readonly counter: HitCounter,
    private readonly trusted: TrustedSources,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.apps = new WechatAppRegistry(config.get('wechat').apps);
    this.perIpPerMinute = config.get('providerEvents').perIpPerMinute;
  }

  /** GET: WeChat checks the URL; the answer is its `echostr`. */
  async handshake(appId: string, query: PushQuery, ip: string | null): Promise<string> {
    await this.takeHit(ip);
    const { server } = this.serverOf(appId);
    const echostr = text(query.echostr);
    if (!echostr || echostr.length > 128) throw new WechatPushRefused(400, 'no echostr');
    this.checkSignature(server, query);
    return echostr;
  }

  /** POST: one pushed event, stored (once) before the answer; `id` to apply it after the answer. */
  async receive(
    appId: string,
    query: PushQuery,
    body: unknown,
    ip: string | null,
  ): Promise<{ id: string; stored: boolean }> {
    await this.takeHit(ip);
    const { app, server } = this.serverOf(appId);
    if (typeof body !== 'string' || body.trim() === '') throw new WechatPushRefused(400, 'no XML body');
    const outer = parseWechatXml(body);
    if (!outer) throw new WechatPushRefused(400, 'not XML');
    let xml = outer;
    if (server.encodingAesKey) {
      // Safe mode and only safe mode: a plaintext push to an app with a key is not WeChat's.
      if (text(query.encrypt_type) !== 'aes') throw new WechatPushRefused(401, 'not encrypted');
      const encrypt = field(outer, 'Encrypt');
      if (!encrypt) throw new WechatPushRefused(400, 'no Encrypt');
      this.checkFresh(query);
      const expected = messageSignature(server.token, text(query.timestamp)!, text(query.nonce)!, encrypt);
      if (!sameSignature(text(query.msg_signature), expected)) throw new WechatPushRefused(401, 'bad msg_signature');
      const inner = openSafeMode(server.encodingAesKey, encrypt, app.appId);
      if (inner === null) throw new WechatPushRefused(403, 'not sealed for this app');
      const opened = parseWechatXml(inner);
      if (!opened) throw new WechatPushRefused(400, 'not XML inside');
      xml = opened;
    } else {
      if (query.encrypt_type !== undefined && text(query.encrypt_type) !== 'raw') {
        throw new WechatPushRefused(401, 'encrypted, but no EncodingAESKey is configured');
      }
      this.checkSignature(server, query);
    }
    const eventType = eventTypeOf(xml);
    if (!eventType || !field(xml, 'FromUserName') || !field(xml, 'CreateTime')) {
      throw new WechatPushRefused(400, 'not a WeChat message');
    }
    return this.inbox.store({
      provider: 'wechat',
      appId: app.appId,
      dedupeKey: dedupeKeyOf(xml),
      eventType,
      payload: xml,
    });
  }

  /** The signature over (token, timestamp, nonce), with a fresh timestamp. */
  private checkSignature(server: WechatMessageServer, query: PushQuery): void {
    this.checkFresh(query);
    const expected = messageSignature(server.token, text(query.timestamp)!, text(query.nonce)!);
    if (!sameSignature(text(query.signature), expected)) throw new WechatPushRefused(401, 'bad signature');
  }

  private checkFresh(query: PushQuery): void {
    const timestamp = text(query.timestamp);
    const nonce = text(query.nonce);
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !nonce || nonce.length > 64) {
      throw new WechatPushRefused(401, 'unsigned');
    }
    if (Math.abs(this.clock.nowMs() / 1000 - Number(timestamp)) > TIMESTAMP_WINDOW_SECONDS) {
      throw new WechatPushRefused(403, 'stale timestamp');
    }
  }

  private serverOf(appId: string): { app: WechatAppCredentials; server: WechatMessageServer } {
    const app = this.apps.app(appId);
    if (!app?.messageServer) throw new WechatPushRefused(404, 'no message server for this app');
    return { app, server: app.messageServer };
  }

  private async takeHit(ip: string | null): Promise<void> {
    if (!ip || this.trusted.has(ip)) return;
    const rules = [{ bucket: `provider-events:ip:${ip}`, limit: this.perIpPerMinute, windowSeconds: 60 }];
    const { taken, states } = await this.counter.take(rules, this.clock.nowMs());
    if (!taken) throw new WechatPushRefused(429, 'too many requests', states[0]?.retryAfterSeconds ?? 60);
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
