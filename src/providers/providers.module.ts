import { Global, Module } from '@nestjs/common';
import { AppleClient } from './apple/apple.client';
import { AlibabaCarrierClient, CarrierClient } from './carrier/carrier.client';
import { HuaweiClient } from './huawei/huawei.client';
import { ProviderCalls } from './provider-calls';

/**
 * The clients for Sign in with Apple, Huawei ID and carrier one-tap, on one shared resilience layer
 * (ProviderCalls: timeouts, budget, safe retries, a breaker per provider, metrics events).
 * Each client answers `configured`; an unconfigured one throws PROVIDER_NOT_CONFIGURED.
 */
@Global()
@Module({
  providers: [ProviderCalls, AppleClient, HuaweiClient, { provide: CarrierClient, useClass: AlibabaCarrierClient }],
  exports: [ProviderCalls, AppleClient, HuaweiClient, CarrierClient],
})
export class ProvidersModule {}
