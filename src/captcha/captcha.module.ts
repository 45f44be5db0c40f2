import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.service';
import { FAKE_CAPTCHA_PREFIX, FAKE_CAPTCHA_SCENE, FakeCaptchaServer } from '../sandbox/fake-captcha/fake-captcha';
import { AliyunCaptchaVerifier } from './aliyun-captcha.verifier';
import { CaptchaVerifier } from './captcha-verifier';

/** Injected as null when SMS_CAPTCHA=off. */
export const CAPTCHA_VERIFIER = Symbol('CAPTCHA_VERIFIER');

/**
 * The captcha behind SMS budgets. `aliyun`: Alibaba Cloud Captcha 2.0. `sandbox`: the same SDK
 * verifier, pointed at the in-process fake (its own port on 127.0.0.1), whose tokens come from
 * POST /sandbox/captcha/solve.
 */
@Global()
@Module({
  providers: [
    {
      provide: FakeCaptchaServer,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<FakeCaptchaServer | null> => {
        if (config.get('captcha')?.provider !== 'sandbox') return null;
        return new FakeCaptchaServer();
      },
    },
    {
      provide: CAPTCHA_VERIFIER,
      inject: [AppConfig, FakeCaptchaServer],
      useFactory: async (config: AppConfig, fake: FakeCaptchaServer | null): Promise<CaptchaVerifier | null> => {
        const captcha = config.get('captcha');
        if (!captcha) return null;
        if (captcha.provider === 'aliyun') return new AliyunCaptchaVerifier(captcha.aliyun);
        const endpoint = await fake!.listen();
        return new AliyunCaptchaVerifier(
          {
            accessKeyId: 'sandbox-access-key',
            accessKeySecret: 'sandbox-access-secret',
            sceneId: FAKE_CAPTCHA_SCENE,
            prefix: FAKE_CAPTCHA_PREFIX,
            region: 'cn',
            endpoint,
          },
          {
            provider: 'sandbox',
            sceneId: FAKE_CAPTCHA_SCENE,
            prefix: FAKE_CAPTCHA_PREFIX,
            solveUrl: '/sandbox/captcha/solve',
          },
        );
      },
    },
  ],
  exports: [CAPTCHA_VERIFIER, FakeCaptchaServer],
})
export class CaptchaModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Optional() @Inject(FakeCaptchaServer) private readonly fake: FakeCaptchaServer | null,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.get('captcha') === null)
      new Logger('Captcha').warn(
        'SMS captcha is off (no CAPTCHA_PROVIDER, or SMS_CAPTCHA=off): a send past a budget is refused with SMS_RATE_LIMITED',
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.fake?.close();
  }
}
