import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { SANDBOX_APPLE, SANDBOX_CARRIER, SANDBOX_HUAWEI } from '../config/providers-config';
import { APPLE_FAKE_PATH } from '../providers/apple/apple.client';
import { FakeAppleServer } from './apple/fake-apple';
import { CARRIER_FAKE_PATH } from '../providers/carrier/carrier.client';
import { FakeCarrierServer } from './carrier/fake-carrier';
import { FakeProviderServer } from './fake-kit';
import { FakeHuaweiServer } from './huawei/fake-huawei';
import { HUAWEI_FAKE_PATH } from '../providers/huawei/huawei.client';
import { ALIPAY_FAKE_PATH } from '../providers/alipay/alipay.client';
import { FakeAlipayMount } from './alipay/fake-alipay.mount';
import { QQ_FAKE_PATH } from '../providers/qq/qq.client';
import { fakeQqOf } from './qq/fake-qq.mount';
import { FakeQqServer } from './qq/fake-qq';

/**
 * Sandbox only (imported by SandboxModule): the Apple, Huawei and carrier fakes mounted in-process
 * under /sandbox/<provider>, with the service's configured credentials and on the service's clock,
 * so that POST /sandbox/clock moves their code and token lifetimes too.
 */
@Module({
  providers: [
    {
      provide: FakeAppleServer,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock) => {
        const apple = config.get('providers').apple;
        return new FakeAppleServer({
          bundleIds: apple?.bundleIds ?? SANDBOX_APPLE.bundleIds,
          teamId: apple?.teamId ?? SANDBOX_APPLE.teamId,
          keyId: apple?.keyId ?? SANDBOX_APPLE.keyId,
          teamPublicKey: createPublicKey(
            apple?.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
          ),
          issuer: apple?.issuer,
          now: () => clock.nowMs(),
        });
      },
    },
    {
      provide: FakeHuaweiServer,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock) => {
        const huawei = config.get('providers').huawei;
        return new FakeHuaweiServer({
          clientId: huawei?.clientId ?? SANDBOX_HUAWEI.clientId,
          clientSecret: huawei?.clientSecret ?? SANDBOX_HUAWEI.clientSecret,
          eventSecret: huawei?.eventSecret ?? SANDBOX_HUAWEI.eventSecret,
          issuer: huawei?.issuer,
          now: () => clock.nowMs(),
        });
      },
    },
    {
      provide: FakeCarrierServer,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock) => {
        const carrier = config.get('providers').carrier;
        return new FakeCarrierServer({
          accessKeyId: carrier?.accessKeyId ?? SANDBOX_CARRIER.accessKeyId,
          accessKeySecret: carrier?.accessKeySecret ?? SANDBOX_CARRIER.accessKeySecret,
          now: () => clock.nowMs(),
        });
      },
    },
    {
      provide: FakeAlipayMount,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock) =>
        new FakeAlipayMount(config.get('providers').alipay, () => clock.nowMs()),
    },
    { provide: FakeQqServer, inject: [AppConfig, Clock], useFactory: fakeQqOf },
  ],
  exports: [FakeAppleServer, FakeHuaweiServer, FakeCarrierServer, FakeAlipayMount, FakeQqServer],
})
export class ProviderFakesModule implements NestModule {
  constructor(
    private readonly apple: FakeAppleServer,
    private readonly huawei: FakeHuaweiServer,
    private readonly carrier: FakeCarrierServer,
    private readonly alipay: FakeAlipayMount,
    private readonly qq: FakeQqServer,
  ) {}

  // Nest middleware (not app.use) so that request logging and request ids apply.
  configure(consumer: MiddlewareConsumer): void {
    const mounts: [string, Pick<FakeProviderServer, 'handler'>][] = [
      [APPLE_FAKE_PATH, this.apple],
      [HUAWEI_FAKE_PATH, this.huawei],
      [CARRIER_FAKE_PATH, this.carrier],
      [ALIPAY_FAKE_PATH, this.alipay],
      [QQ_FAKE_PATH, this.qq],
    ];
    for (const [prefix, fake] of mounts) {
      consumer
        .apply((req: Request, res: Response, _next: NextFunction) => {
          req.url = req.originalUrl.slice(prefix.length) || '/';
          fake.handler(req, res);
        })
        .forRoutes(
          { path: prefix.slice(1), method: RequestMethod.ALL },
          { path: `${prefix.slice(1)}/*path`, method: RequestMethod.ALL },
        );
    }
  }
}
