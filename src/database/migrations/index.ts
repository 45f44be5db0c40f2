import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Identities1764100000000 } from './1764100000000-identities';
import { RateLimitHits1764200000000 } from './1764200000000-rate-limit-hits';
import { CodeExchangeState1764300000000 } from './1764300000000-code-exchange-state';
import { SharedCounters1764310000000 } from './1764310000000-shared-counters';
import { SmsCodeSources1764320000000 } from './1764320000000-sms-code-sources';
import { PhoneCallSlots1764420000000 } from './1764420000000-phone-call-slots';
import { QrLogins1764500000000 } from './1764500000000-qr-logins';
import { ProviderEvents1764510000000 } from './1764510000000-provider-events';
import { Outbox1764520000000 } from './1764520000000-outbox';
import { DropRateLimitHits1764610000000 } from './1764610000000-drop-rate-limit-hits';

// Listed explicitly (not globbed) so that the app, the CLI and the tests run the same set in order.
export const MIGRATIONS = [
  InitialSchema1764000000000,
  Identities1764100000000,
  RateLimitHits1764200000000,
  CodeExchangeState1764300000000,
  SharedCounters1764310000000,
  SmsCodeSources1764320000000,
  PhoneCallSlots1764420000000,
  QrLogins1764500000000,
  ProviderEvents1764510000000,
  Outbox1764520000000,
  DropRateLimitHits1764610000000,
];
