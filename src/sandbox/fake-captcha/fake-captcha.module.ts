import { Global, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SANDBOX_CAPTCHA_ENDPOINT } from '../../captcha/sandbox-captcha';
import { AppConfig } from '../../config/app-config.service';
import { FakeCaptchaServer } from './fake-captcha';

/**
 * Sandbox only (imported by SandboxModule): with CAPTCHA_PROVIDER=sandbox, the fake captcha on its own
 * port, whose endpoint the captcha verifier is given; null otherwise. Global so that CaptchaModule and
 * POST /sandbox/captcha/solve see it.
 */
@Global()
@Module({
  providers: [
    {
      provide: FakeCaptchaServer,
      inject: [AppConfig],
      useFactory: (config: AppConfig): FakeCaptchaServer | null =>
        config.get('captcha')?.provider === 'sandbox' ? new FakeCaptchaServer() : null,
    },
    {
      provide: SANDBOX_CAPTCHA_ENDPOINT,
      inject: [FakeCaptchaServer],
      useFactory: async (fake: FakeCaptchaServer | null): Promise<string | null> => (fake ? fake.listen() : null),
    },
  ],
  exports: [FakeCaptchaServer, SANDBOX_CAPTCHA_ENDPOINT],
})
export class FakeCaptchaModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(FakeCaptchaServer) private readonly fake: FakeCaptchaServer | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.fake?.close();
  }
}
