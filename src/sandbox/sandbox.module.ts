import { Logger, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { BannerFake } from '../banner';
import { SANDBOX_UNBOUND_APP_ID } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { ProviderFakesModule } from './provider-fakes.module';
import { FakeCaptchaModule } from './fake-captcha/fake-captcha.module';
import { FakeWechatServer } from './fake-wechat/fake-wechat';
import { SmsOutboxController } from './sms-outbox.controller';
import { SandboxClockController } from './sandbox-clock.controller';
import { FakeCaptchaController } from './fake-captcha.controller';
import { PROVIDER_FAKES, WECHAT_FAKE } from './pages/sandbox-catalog';
import { SandboxPageController } from './sandbox-page.controller';
import { SandboxWebhookInbox } from './webhooks/sandbox-webhook-inbox';
import { SandboxWebhooksController } from './webhooks/sandbox-webhooks.controller';

export const FAKE_WECHAT_PATH = '/sandbox/wechat';

/** What the start-up banner lists in sandbox mode: every fake mounted here. */
export const SANDBOX_BANNER_FAKES: readonly BannerFake[] = [WECHAT_FAKE, ...PROVIDER_FAKES];

/** Only imported in sandbox mode: in production none of /sandbox/* exists. */
@Module({
  imports: [ProviderFakesModule, FakeCaptchaModule],
  controllers: [
    SandboxPageController,
    SmsOutboxController,
    SandboxClockController,
    FakeCaptchaController,
    SandboxWebhooksController,
  ],
  providers: [
    SandboxWebhookInbox,
    {
      provide: FakeWechatServer,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('FakeWechat');
        return new FakeWechatServer({
          // The sandbox's apps share one Open Platform account, except the one kept openid-only.
          apps: config.get('wechat').apps.map(({ messageServer, verifiedServiceAccount, ...app }) => ({
            ...app,
            openPlatform: app.appId !== SANDBOX_UNBOUND_APP_ID,
            // WeChat signs (and in safe mode encrypts) its pushes with what the app set on its page.
            messageToken: messageServer?.token,
            encodingAesKey: messageServer?.encodingAesKey ?? null,
            serviceAccount: verifiedServiceAccount === true,
            // WeChat checks the redirect against the domain registered for the web app.
            ...(app.redirectUris.length > 0
              ? { redirectDomains: app.redirectUris.map((uri) => /^https?:\/\/([^/:*]+)/.exec(uri)?.[1] ?? uri) }
              : {}),
          })),
          onCall: (call) => logger.debug(`${call.endpoint} → ${call.result}`),
        });
      },
    },
  ],
  exports: [FakeWechatServer],
})
export class SandboxModule implements NestModule {
  constructor(private readonly fake: FakeWechatServer) {}

  // Registered as Nest middleware (not app.use) so that request logging and request ids apply.
  configure(consumer: MiddlewareConsumer): void {
    const handler = this.fake.handler;
    consumer
      .apply((req: Request, res: Response, _next: NextFunction) => {
        req.url = req.originalUrl.slice(FAKE_WECHAT_PATH.length) || '/';
        handler(req, res);
      })
      // The bare mount too: /sandbox/wechat in a browser is the fake's index page.
      .forRoutes(
        { path: FAKE_WECHAT_PATH.slice(1), method: RequestMethod.ALL },
        { path: `${FAKE_WECHAT_PATH.slice(1)}/*path`, method: RequestMethod.ALL },
      );
  }
}
