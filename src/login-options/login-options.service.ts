import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LoginMethod, Platform, WechatChannel } from '../common/enums';
import type { WechatChannelName } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import type { LoginOptions } from './models/login-options.model';

export interface LoginContext {
  platform: Platform;
  wechatInstalled: boolean;
  carrierAvailable?: boolean | null;
  inWechatBrowser?: boolean | null;
}

/** Which providers this server has set up: a method whose provider is not configured is never offered. */
export interface ConfiguredProviders {
  wechatChannels: ReadonlySet<WechatChannelName>;
  apple: boolean;
  huawei: boolean;
  carrier: boolean;
  /** Further configured connectors (QQ, Alipay, ...): their button, and where it is shown. */
  others?: readonly LoginOffer[];
}

/** A connector's button on the login screen: offered on these platforms, before the phone. */
export interface LoginOffer {
  method: LoginMethod;
  platforms: readonly Platform[];
}

/**
 * The login screen per platform (channels.md "Login options per platform"): Android always shows
 * WeChat (install prompt when missing); iOS shows WeChat only when installed and always offers Apple
 * (App Store 4.8, 4.2.3); HarmonyOS offers Huawei ID whenever it offers WeChat (AppGallery); carrier
 * one-tap only where the client's SDK says it is available; phone login everywhere but mini programs.
 */
@Injectable()
export class LoginOptionsService implements OnApplicationBootstrap {
  private providers: ConfiguredProviders;

  constructor(private readonly config: AppConfig) {
    this.providers = configuredProviders(config.values);
  }

  /** A configured connector's button (ConnectorsModule registers them at start). */
  offer(offer: LoginOffer): void {
    this.providers = { ...this.providers, others: [...(this.providers.others ?? []), offer] };
  }

  onApplicationBootstrap(): void {
    const warning = this.config.values.mode === 'production' ? iosWithoutAppleWarning(this.providers) : null;
    if (warning) new Logger('LoginOptions').warn(warning);
  }

  optionsFor(context: LoginContext): LoginOptions {
    return loginOptionsFor(context, this.providers);
  }
}

export function configuredProviders(values: AppConfig['values']): ConfiguredProviders {
  return {
    wechatChannels: new Set(values.wechat.apps.map((app) => app.channel)),
    apple: values.providers.apple !== null,
    huawei: values.providers.huawei !== null,
    carrier: values.providers.carrier !== null,
  };
}

export function loginOptionsFor(context: LoginContext, providers: ConfiguredProviders): LoginOptions {
  const { platform, wechatInstalled } = context;
  const carrier = Boolean(context.carrierAvailable) && providers.carrier;
  let channel: WechatChannel | null = null;
  const methods: LoginMethod[] = [];
  const offerWechat = (wanted: WechatChannel): void => {
    if (!providers.wechatChannels.has(wanted.toLowerCase() as WechatChannelName)) return;
    channel = wanted;
    methods.push(LoginMethod.WECHAT);
  };
  switch (platform) {
    case Platform.ANDROID:
      if (carrier) methods.push(LoginMethod.CARRIER);
      offerWechat(WechatChannel.APP);
      methods.push(LoginMethod.PHONE);
      break;
    case Platform.IOS:
      if (wechatInstalled) offerWechat(WechatChannel.APP);
      if (providers.apple) methods.push(LoginMethod.APPLE);
      if (carrier) methods.push(LoginMethod.CARRIER);
      methods.push(LoginMethod.PHONE);
      break;
    case Platform.HARMONYOS:
      if (wechatInstalled) offerWechat(WechatChannel.APP);
      // AppGallery: Huawei ID whenever WeChat is offered; it is the platform's own account, so always.
      if (providers.huawei) methods.push(LoginMethod.HUAWEI);
      if (carrier) methods.push(LoginMethod.CARRIER);
      methods.push(LoginMethod.PHONE);
      break;
    case Platform.WEB:
      offerWechat(context.inWechatBrowser ? WechatChannel.OFFICIAL_ACCOUNT : WechatChannel.WEBSITE);
      methods.push(LoginMethod.PHONE);
      break;
    case Platform.MINI_PROGRAM:
      offerWechat(WechatChannel.MINI_PROGRAM);
      break;
  }
  const others = (providers.others ?? []).filter((o) => o.platforms.includes(platform)).map((o) => o.method);
  const phoneAt = methods.indexOf(LoginMethod.PHONE);
  methods.splice(phoneAt < 0 ? methods.length : phoneAt, 0, ...others);
  const showWechatButton = methods.includes(LoginMethod.WECHAT);
  return {
    showWechatButton,
    promptInstallWechat: platform === Platform.ANDROID && showWechatButton && !wechatInstalled,
    methods,
    wechatChannel: showWechatButton ? channel : null,
  };
}

/**
 * App Store Review Guideline 4.8 (docs/mobile.md): an iOS app that offers a third-party login (WeChat,
 * QQ, ...) must offer Sign in with Apple too. Answers the boot warning when this configuration would
 * offer an iOS app one without Apple, else null.
 */
export function iosWithoutAppleWarning(providers: ConfiguredProviders): string | null {
  const { methods } = loginOptionsFor({ platform: Platform.IOS, wechatInstalled: true }, providers);
  const firstParty: readonly string[] = [LoginMethod.APPLE, LoginMethod.PHONE, LoginMethod.CARRIER];
  const thirdParty = methods.filter((m) => !firstParty.includes(m));
  if (thirdParty.length === 0 || methods.includes(LoginMethod.APPLE)) return null;
  return (
    `iOS apps would be offered ${thirdParty.map((m) => (m === LoginMethod.WECHAT ? 'WeChat' : m)).join(', ')} without Sign in with Apple (App Store Review Guideline 4.8: such a ` +
    'build fails review); set APPLE_BUNDLE_IDS, APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY (docs/mobile.md)'
  );
}
