import { bool, defineVariables, EnvReader, int } from '../env-reader';

// The inbox of provider events (WeChat's message server, and later Apple's and Huawei's receivers):
// how often each instance sweeps for events not yet applied, and the receivers' per-IP limit.

export const PROVIDER_EVENTS_VARIABLES = defineVariables({
  PROVIDER_EVENTS_SWEEP_SECONDS: int(
    'how often each instance applies stored provider events still pending, in seconds; 0: never (default 10)',
    10,
    0,
    3600,
  ),
  PROVIDER_EVENTS_APPLY_ON_RECEIPT: bool(
    'apply each stored provider event right after answering (default true); false leaves it to the sweeper (tests, drills)',
    true,
  ),
  PROVIDER_EVENTS_PER_IP_PER_MINUTE: int(
    'requests a minute one IP may make to the provider event receivers (default 600)',
    600,
    1,
    1_000_000,
  ),
});
const V = PROVIDER_EVENTS_VARIABLES;

export interface ProviderEventsSettings {
  /** 0: this instance never sweeps (events are still applied right after they are stored). */
  sweepSeconds: number;
  /** false: a stored event waits for the sweeper (the crash drill's switch). */
  applyOnReceipt: boolean;
  perIpPerMinute: number;
}

export function readProviderEvents(reader: EnvReader): ProviderEventsSettings {
  return {
    sweepSeconds: reader.int(V.PROVIDER_EVENTS_SWEEP_SECONDS),
    applyOnReceipt: reader.bool(V.PROVIDER_EVENTS_APPLY_ON_RECEIPT),
    perIpPerMinute: reader.int(V.PROVIDER_EVENTS_PER_IP_PER_MINUTE),
  };
}
