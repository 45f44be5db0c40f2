import { Injectable } from '@nestjs/common';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '../config/app-config.service';

/**
 * TRUSTED_SOURCES: client addresses that skip the general throttle and the SMS budgets per IP,
 * device, prefix, country and in all (a load generator, the operator's own probes). Their sends are
 * not counted there either. Per-phone limits (cooldown, daily cap, phone budgets) still apply.
 * The address is the client IP as the service sees it (X-Forwarded-For only under TRUST_PROXY).
 */
@Injectable()
export class TrustedSources {
  private readonly list: BlockList | null;

  constructor(config: AppConfig) {
    this.list = TrustedSources.compile(config.get('trustedSources') ?? []);
  }

  static compile(entries: string[]): BlockList | null {
    if (entries.length === 0) return null;
    const list = new BlockList();
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    return list;
  }

  /** Whether this client address is on the list (never for an unknown address). */
  has(ip: string | null | undefined): boolean {
    if (!this.list || !ip) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}
