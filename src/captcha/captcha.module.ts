import { Global, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.service';
import { AliyunCaptchaVerifier } from './aliyun-captcha.verifier';
import { CaptchaVerifier } from './captcha-verifier';
import { SANDBOX_CAPTCHA_ENDPOINT, SANDBOX_CAPTCHA_PREFIX, SANDBOX_CAPTCHA_SCENE } from './sandbox-captcha';

/** Injected as null when SMS_CAPTCHA=off. */
export const CAPTCHA_VERIFIER = Symbol('CAPTCHA_VERIFIER');

/**
 * The captcha behind SMS budgets. `aliyun`: Alibaba Cloud Captcha 2.0. `sandbox`: the same SDK
 * verifier, pointed at the in-process fake (its own port on 127.0.0.1, provided by the sandbox as
 * SANDBOX_CAPTCHA_ENDPOINT), whose tokens come from POST /sandbox/captcha/solve.
 */
@Global()
@Module({
  providers: [
    {
      provide: CAPTCHA_VERIFIER,
      inject: [AppConfig, { token: SANDBOX_CAPTCHA_ENDPOINT, optional: true }],
      useFactory: (config: AppConfig, endpoint: string | null | undefined): CaptchaVerifier | null => {
        const captcha = config.get('captcha');
        if (!captcha) return null;
        if (captcha.provider === 'aliyun') return new AliyunCaptchaVerifier(captcha.aliyun);
        // Configuration allows the sandbox captcha only in sandbox mode, where the sandbox provides it.
        if (!endpoint) throw new Error('CAPTCHA_PROVIDER=sandbox needs the sandbox (sandbox mode)');
        return new AliyunCaptchaVerifier(
          {
            accessKeyId: 'sandbox-access-key',
            accessKeySecret: 'sandbox-access-secret',
            sceneId: SANDBOX_CAPTCHA_SCENE,
            prefix: SANDBOX_CAPTCHA_PREFIX,
            region: 'cn',
            endpoint,
          },
          {
            provider: 'sandbox',
            sceneId: SANDBOX_CAPTCHA_SCENE,
            prefix: SANDBOX_CAPTCHA_PREFIX,
            solveUrl: '/sandbox/captcha/solve',
          },
        );
      },
    },
  ],
  exports: [CAPTCHA_VERIFIER],
})
export class CaptchaModule implements OnApplicationBootstrap {
  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.get('captcha') === null)
      new Logger('Captcha').warn(
        'SMS captcha is off (no CAPTCHA_PROVIDER, or SMS_CAPTCHA=off): a send past a budget is refused with SMS_RATE_LIMITED',
      );
  }
}
