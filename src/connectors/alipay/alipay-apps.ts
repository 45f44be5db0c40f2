import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import type { AlipayAppConfig, AlipayConfig } from '../../config/areas/alipay.config';
import { AlipayClient } from '../../providers/alipay/alipay.client';
import { ProviderCalls } from '../../providers/provider-calls';

export interface SandboxAlipayKeys {
  /** Our sandbox app's private key (the fake checks request signatures with its public half). */
  appPrivateKey: KeyObject;
  /** The fake's "Alipay" key: it signs answers, the client verifies them with its public half. */
  alipayPrivateKey: KeyObject;
}

let sandboxKeys: SandboxAlipayKeys | undefined;

/**
 * The sandbox's two RSA-2048 key pairs, made once per process at first use (by the first Alipay
 * login or the fake's first request): the client and the in-process fake must hold the two halves.
 */
export function sandboxAlipayKeys(): SandboxAlipayKeys {
  sandboxKeys ??= {
    appPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    alipayPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  };
  return sandboxKeys;
}

/**
 * The configured Alipay apps (ALIPAY_APP_ID, ...), each with its own AlipayClient (its own keys and
 * SDK instance), built at its first login. Owned by the connector, which makes it from configuration.
 */
export class AlipayApps {
  private readonly apps: readonly AlipayAppConfig[];
  private readonly gateway: string | null;
  private readonly clients = new Map<string, AlipayClient>();

  constructor(
    alipay: AlipayConfig | null,
    private readonly calls: ProviderCalls,
  ) {
    this.apps = alipay?.apps ?? [];
    this.gateway = alipay?.gateway ?? null;
  }

  get configured(): boolean {
    return this.apps.length > 0;
  }

  /** The app named, or the first when none is: null when it is not configured. */
  appOf(named: string | null): AlipayAppConfig | null {
    if (named === null) return this.apps[0] ?? null;
    return this.apps.find((app) => app.appId === named) ?? null;
  }

  clientOf(app: AlipayAppConfig): AlipayClient {
    let client = this.clients.get(app.appId);
    if (!client) {
      const keys = app.keys ?? sandboxSide();
      client = new AlipayClient({ appId: app.appId, keyOn: app.keyOn, gateway: this.gateway, ...keys }, this.calls);
      this.clients.set(app.appId, client);
    }
    return client;
  }
}

function sandboxSide(): { privateKey: KeyObject; alipayPublicKey: KeyObject } {
  const keys = sandboxAlipayKeys();
  return { privateKey: keys.appPrivateKey, alipayPublicKey: createPublicKey(keys.alipayPrivateKey) };
}
