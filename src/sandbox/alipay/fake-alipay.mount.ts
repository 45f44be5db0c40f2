import { createPublicKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlipayConfig } from '../../config/areas/alipay.config';
import { SANDBOX_ALIPAY_APP_ID } from '../../config/areas/alipay.config';
import { sandboxAlipayKeys } from '../../connectors/alipay/alipay-apps';
import { FakeAlipayServer } from './fake-alipay';

/**
 * The in-process fake Alipay gateway for the configured apps, made at its first request: its RSA
 * keys (shared with the sandbox's client, sandboxAlipayKeys) take a quarter second of CPU, which a
 * sandbox boot or a test that never calls Alipay should not pay.
 */
export class FakeAlipayMount {
  private made?: FakeAlipayServer;

  constructor(
    private readonly alipay: AlipayConfig | null,
    private readonly now: () => number,
  ) {}

  get fake(): FakeAlipayServer {
    this.made ??= this.make();
    return this.made;
  }

  readonly handler = (req: IncomingMessage, res: ServerResponse): void => this.fake.handler(req, res);

  private make(): FakeAlipayServer {
    const sandbox = sandboxAlipayKeys();
    const apps = this.alipay?.apps ?? [{ appId: SANDBOX_ALIPAY_APP_ID, keyOn: 'open_id' as const, keys: null }];
    return new FakeAlipayServer({
      apps: apps.map((app) => ({
        appId: app.appId,
        publicKey: createPublicKey(app.keys?.privateKey ?? sandbox.appPrivateKey),
        idType: app.keyOn,
      })),
      // Configured keys name the real Alipay's public key, whose private half nobody here has: the
      // fake then signs with the sandbox's key (and answers what that client refuses, as it should).
      alipayPrivateKey: sandbox.alipayPrivateKey,
      now: this.now,
    });
  }
}
