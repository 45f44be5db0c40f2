import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { HitCounter } from '../rate-limits/hit-counter';
import { TrustedSources } from '../rate-limits/trusted-sources';
import { ProviderEventRefused } from './event-refused';

/**
 * The per-IP limit of the Apple and Huawei receivers (PROVIDER_EVENTS_PER_IP_PER_MINUTE, as WeChat's):
 * a flood of forged deliveries costs a signature check each, so it is counted before any is made.
 * Apple and Huawei retry a 429 later; TRUSTED_SOURCES are not counted.
 */
@Injectable()
export class ReceiverRateLimit {
  private readonly perMinute: number;

  constructor(
    private readonly counter: HitCounter,
    private readonly trusted: TrustedSources,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.perMinute = config.get('providerEvents').perIpPerMinute;
  }

  async take(provider: string, ip: string | null): Promise<void> {
    if (!ip || this.trusted.has(ip)) return;
    const rules = [{ bucket: `provider-events:${provider}:ip:${ip}`, limit: this.perMinute, windowSeconds: 60 }];
    const { taken, states } = await this.counter.take(rules, this.clock.nowMs());
    if (!taken) throw new ProviderEventRefused(429, 'too many requests', states[0]?.retryAfterSeconds ?? 60);
  }
}
