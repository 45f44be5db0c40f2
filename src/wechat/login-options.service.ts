import { Injectable } from '@nestjs/common';
import { LoginMethod, Platform } from '../common/enums';
import type { LoginOptions } from './models/login-options.model';

@Injectable()
export class LoginOptionsService {
  // Android always shows the WeChat button and guides users without WeChat to install it. iOS must
  // hide it when WeChat is missing (App Store review) and offer phone login instead.
  optionsFor(platform: Platform, wechatInstalled: boolean): LoginOptions {
    if (platform === Platform.IOS && !wechatInstalled) {
      return { showWechatButton: false, promptInstallWechat: false, methods: [LoginMethod.PHONE] };
    }
    return {
      showWechatButton: true,
      promptInstallWechat: platform === Platform.ANDROID && !wechatInstalled,
      methods: [LoginMethod.WECHAT, LoginMethod.PHONE],
    };
  }
}
