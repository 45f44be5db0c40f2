import type { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config.service';
import { FakeQqApp, FakeQqServer, SANDBOX_QQ } from './fake-qq';

/**
 * The in-process fake QQ (sandbox, under /sandbox/qq) with the service's QQ apps and on its clock.
 * Phone apps have no AppKey in our configuration (the SDK path never uses one): the fake gets the
 * sandbox's key for them, which nothing checks.
 */
export function fakeQqOf(config: AppConfig, clock: Clock): FakeQqServer {
  const qq = config.get('providers').qq;
  const sandboxKey = (appId: string): string =>
    SANDBOX_QQ.apps.find((app) => app.appId === appId)?.appKey ?? SANDBOX_QQ.apps[0].appKey;
  const apps: FakeQqApp[] = qq
    ? [
        ...qq.appIds.filter((id) => id !== qq.web?.appId).map((appId) => ({ appId, appKey: sandboxKey(appId) })),
        ...(qq.web ? [{ appId: qq.web.appId, appKey: qq.web.appKey }] : []),
      ]
    : [...SANDBOX_QQ.apps];
  return new FakeQqServer({ apps, now: () => clock.nowMs() });
}
