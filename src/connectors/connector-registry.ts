import { Injectable } from '@nestjs/common';
import passport from 'passport';
import { ConnectorStrategy } from './connector.strategy';

/**
 * This app's Passport, the only registry of connectors (each registers itself when Nest builds it).
 * Not the process-wide `passport` singleton: two apps in one process (tests, the sandbox beside a
 * fake) must not run each other's strategies.
 */
@Injectable()
export class ConnectorRegistry {
  readonly passport = new passport.Passport();

  /** The connector registered under `id` (its class's static `id`; the list is connectors.ts). */
  connectorOf(id: string): ConnectorStrategy {
    const strategy = (this.passport as unknown as { _strategy(name: string): unknown })._strategy(id);
    if (!(strategy instanceof ConnectorStrategy)) throw new Error(`no connector is registered as ${id}`);
    return strategy;
  }
}
