import type { AppConfigValues } from '../../src/config/app-config';
import { startTestApp, TestApp } from '../support/test-app';

// What production says at boot about a configuration that works but will hurt: an iOS app offered
// WeChat without Sign in with Apple fails App Store review (guideline 4.8, docs/mobile.md).

const production =
  (apple: boolean) =>
  (config: AppConfigValues): AppConfigValues => ({
    ...config,
    mode: 'production',
    providers: { ...config.providers, apple: apple ? config.providers.apple : null },
  });

function warningsOf(t: TestApp): string[] {
  return t.logs.filter((line) => line.includes('"level":"warn"') && line.includes('Sign in with Apple'));
}

const IOS_OPTIONS = '{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }';

it('warns once in production when iOS would get WeChat without Apple, as loginOptions then answers', async () => {
  const t = await startTestApp({ override: production(false) });
  try {
    expect(warningsOf(t)).toEqual([expect.stringContaining('App Store Review Guideline 4.8')]);
    expect(warningsOf(t)[0]).toContain('APPLE_BUNDLE_IDS');
    expect((await t.gql(IOS_OPTIONS)).body.data).toEqual({
      loginOptions: { methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] },
    });
  } finally {
    await t.close();
  }
});

it('says nothing when Apple is configured (or in the sandbox)', async () => {
  const t = await startTestApp({ override: production(true) });
  try {
    expect(t.config.providers.apple).not.toBeNull();
    expect(warningsOf(t)).toEqual([]);
    expect((await t.gql(IOS_OPTIONS)).body.data).toEqual({
      loginOptions: { methods: ['WECHAT', 'APPLE', 'QQ', 'ALIPAY', 'PHONE'] },
    });
  } finally {
    await t.close();
  }
  const sandbox = await startTestApp({
    override: (config) => ({ ...config, providers: { ...config.providers, apple: null } }),
  });
  try {
    expect(warningsOf(sandbox)).toEqual([]);
  } finally {
    await sandbox.close();
  }
});
