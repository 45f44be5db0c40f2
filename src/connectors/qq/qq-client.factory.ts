import type { QqConfig } from '../../config/areas/qq.config';
import type { ProviderCalls } from '../../providers/provider-calls';
import { QqClient, QqSettings } from '../../providers/qq/qq.client';

/** The QQ client's settings, as the QQ connector reads them from the providers' configuration. */
export function qqSettingsOf(config: QqConfig | null): QqSettings | null {
  if (!config) return null;
  const web = config.web ? { appId: config.web.appId, appKey: config.web.appKey } : null;
  // Every app of ours may own a token; the web app's tokens come only from its own codes.
  const appIds = [...new Set([...config.appIds, ...(web ? [web.appId] : [])])];
  return { appIds, web, apiBase: config.apiBase };
}

/** The QQ connector's client, on the shared outbound kit (ProviderCalls). */
export function qqClientOf(config: QqConfig | null, calls: ProviderCalls): QqClient {
  return new QqClient(qqSettingsOf(config), calls);
}
