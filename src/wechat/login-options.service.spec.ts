import { LoginMethod, Platform } from '../common/enums';
import { LoginOptionsService } from './login-options.service';

describe('LoginOptionsService', () => {
  const service = new LoginOptionsService();

  it('always shows the WeChat button on Android and prompts the install when WeChat is missing', () => {
    expect(service.optionsFor(Platform.ANDROID, false)).toEqual({
      showWechatButton: true,
      promptInstallWechat: true,
      methods: [LoginMethod.WECHAT, LoginMethod.PHONE],
    });
    expect(service.optionsFor(Platform.ANDROID, true).promptInstallWechat).toBe(false);
  });

  it('hides the WeChat button on iOS without WeChat and offers phone login only', () => {
    expect(service.optionsFor(Platform.IOS, false)).toEqual({
      showWechatButton: false,
      promptInstallWechat: false,
      methods: [LoginMethod.PHONE],
    });
  });

  it('shows WeChat first on iOS with WeChat installed, never prompting an install', () => {
    expect(service.optionsFor(Platform.IOS, true)).toEqual({
      showWechatButton: true,
      promptInstallWechat: false,
      methods: [LoginMethod.WECHAT, LoginMethod.PHONE],
    });
  });
});
