import { LoginMethod as M, Platform as P, WechatChannel as C } from '../common/enums';
import type { WechatChannelName } from '../config/app-config';
import { ConfiguredProviders, iosWithoutAppleWarning, LoginContext, loginOptionsFor } from './login-options.service';

const ALL_CHANNELS = new Set<WechatChannelName>(['app', 'mini_program', 'official_account', 'website']);
const everything: ConfiguredProviders = { wechatChannels: ALL_CHANNELS, apple: true, huawei: true, carrier: true };
const seedOnly: ConfiguredProviders = { wechatChannels: new Set(['app']), apple: false, huawei: false, carrier: false };

// channels.md "Login options per platform", row by row, with every provider configured.
const TABLE: [string, LoginContext, M[], C | null, boolean][] = [
  ['Android, WeChat installed', { platform: P.ANDROID, wechatInstalled: true }, [M.WECHAT, M.PHONE], C.APP, false],
  [
    'Android, no WeChat: install prompt',
    { platform: P.ANDROID, wechatInstalled: false },
    [M.WECHAT, M.PHONE],
    C.APP,
    true,
  ],
  [
    'Android with carrier SDK',
    { platform: P.ANDROID, wechatInstalled: true, carrierAvailable: true },
    [M.CARRIER, M.WECHAT, M.PHONE],
    C.APP,
    false,
  ],
  ['iOS, WeChat installed', { platform: P.IOS, wechatInstalled: true }, [M.WECHAT, M.APPLE, M.PHONE], C.APP, false],
  ['iOS, no WeChat: Apple, never WeChat', { platform: P.IOS, wechatInstalled: false }, [M.APPLE, M.PHONE], null, false],
  [
    'iOS with carrier SDK',
    { platform: P.IOS, wechatInstalled: false, carrierAvailable: true },
    [M.APPLE, M.CARRIER, M.PHONE],
    null,
    false,
  ],
  [
    'HarmonyOS, WeChat installed: Huawei beside it',
    { platform: P.HARMONYOS, wechatInstalled: true },
    [M.WECHAT, M.HUAWEI, M.PHONE],
    C.APP,
    false,
  ],
  ['HarmonyOS, no WeChat', { platform: P.HARMONYOS, wechatInstalled: false }, [M.HUAWEI, M.PHONE], null, false],
  [
    'HarmonyOS with carrier SDK',
    { platform: P.HARMONYOS, wechatInstalled: true, carrierAvailable: true },
    [M.WECHAT, M.HUAWEI, M.CARRIER, M.PHONE],
    C.APP,
    false,
  ],
  [
    'web inside WeChat',
    { platform: P.WEB, wechatInstalled: true, inWechatBrowser: true },
    [M.WECHAT, M.PHONE],
    C.OFFICIAL_ACCOUNT,
    false,
  ],
  ['web on a desktop browser', { platform: P.WEB, wechatInstalled: false }, [M.WECHAT, M.PHONE], C.WEBSITE, false],
  ['mini program', { platform: P.MINI_PROGRAM, wechatInstalled: true }, [M.WECHAT], C.MINI_PROGRAM, false],
];

describe('login options', () => {
  it.each(TABLE)('%s', (_name, context, methods, channel, prompt) => {
    expect(loginOptionsFor(context, everything)).toEqual({
      showWechatButton: methods.includes(M.WECHAT),
      promptInstallWechat: prompt,
      methods,
      wechatChannel: channel,
    });
  });

  // The seed's answers, unchanged for servers that configure only a native-app WeChat.
  it.each([
    [P.ANDROID, false, [M.WECHAT, M.PHONE], true],
    [P.ANDROID, true, [M.WECHAT, M.PHONE], false],
    [P.IOS, false, [M.PHONE], false],
    [P.IOS, true, [M.WECHAT, M.PHONE], false],
  ] as [P, boolean, M[], boolean][])(
    '%s with WeChat installed=%s keeps the seed answer',
    (platform, installed, methods, prompt) => {
      expect(loginOptionsFor({ platform, wechatInstalled: installed, carrierAvailable: true }, seedOnly)).toEqual({
        showWechatButton: methods.includes(M.WECHAT),
        promptInstallWechat: prompt,
        methods: [...methods],
        wechatChannel: methods.includes(M.WECHAT) ? C.APP : null,
      });
    },
  );

  it('never offers a method whose provider is not configured', () => {
    const noWeb: ConfiguredProviders = { ...everything, wechatChannels: new Set(['app']), apple: false, huawei: false };
    expect(loginOptionsFor({ platform: P.WEB, wechatInstalled: false }, noWeb).methods).toEqual([M.PHONE]);
    expect(loginOptionsFor({ platform: P.MINI_PROGRAM, wechatInstalled: true }, noWeb).methods).toEqual([]);
    expect(loginOptionsFor({ platform: P.IOS, wechatInstalled: false }, noWeb).methods).toEqual([M.PHONE]);
    expect(loginOptionsFor({ platform: P.HARMONYOS, wechatInstalled: true }, noWeb).methods).toEqual([
      M.WECHAT,
      M.PHONE,
    ]);
  });

  it('warns at boot when iOS would get WeChat without Apple (App Store 4.8), and only then', () => {
    expect(iosWithoutAppleWarning(seedOnly)).toMatch(/WeChat without Sign in with Apple.*4\.8.*APPLE_BUNDLE_IDS/);
    expect(iosWithoutAppleWarning(everything)).toBeNull();
    expect(iosWithoutAppleWarning({ ...seedOnly, wechatChannels: new Set(['website', 'mini_program']) })).toBeNull();
  });
});
