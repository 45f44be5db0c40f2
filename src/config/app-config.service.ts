import type { AppConfigValues } from './app-config';

/** The validated configuration, injected wherever a setting is needed. Read-only by construction. */
export class AppConfig {
  constructor(readonly values: Readonly<AppConfigValues>) {}

  get isProduction(): boolean {
    return this.values.mode === 'production';
  }

  get isSandbox(): boolean {
    return this.values.mode === 'sandbox';
  }

  get<K extends keyof AppConfigValues>(key: K): AppConfigValues[K] {
    return this.values[key];
  }
}
