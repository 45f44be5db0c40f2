import type { INestApplication } from '@nestjs/common';
import type { AppModuleOptions } from './app.module';
import { createApp } from './bootstrap';
import { ConfigError, type AppConfigValues } from './config/app-config';

/**
 * `node dist/src/main.js refresh-worker`: a process that runs only the WeChat token refresh job
 * (the whole service initialised, no port opened, so no API traffic shares its event loop). API
 * instances then run with TOKEN_REFRESH_ENABLED=false. The job is on here whatever that variable
 * says; the other TOKEN_REFRESH_* settings apply as they are. With nothing due it looks again every
 * couple of seconds (WORKER_IDLE_POLL_SECONDS), so a grant that falls due is picked up at once.
 */
export async function startRefreshWorker(
  config: AppConfigValues,
  options: AppModuleOptions = {},
): Promise<INestApplication> {
  // Without WECHAT_API_BASE the sandbox's fake WeChat lives inside the API process's HTTP server.
  if (!config.wechat.apiBase) {
    throw new ConfigError([
      'WECHAT_API_BASE: a refresh-worker needs it (the sandbox fake is mounted in the API process)',
    ]);
  }
  return createApp({ ...config, tokenRefresh: { ...config.tokenRefresh, enabled: true, dedicated: true } }, options);
}
