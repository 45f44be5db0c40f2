import { Controller, Get, Header, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.service';
import { SANDBOX_APPLE, SANDBOX_HUAWEI } from '../config/providers-config';
import { Public } from '../sessions/access.decorator';
import { PAGE_CSP } from './fake-wechat/fake-wechat.http';
import { FakeWechatServer } from './fake-wechat/fake-wechat';
import { wantsHtml } from './pages/html';
import { sandboxJson, sandboxPage, SandboxPageInput } from './pages/sandbox-page';
import { SANDBOX_PEOPLE } from './sandbox-people';
import { SandboxWebhookInbox } from './webhooks/sandbox-webhook-inbox';

const WEBHOOKS_SHOWN = 20;

/** Sandbox only: GET /sandbox, the map of every fake (HTML in a browser, JSON otherwise). */
@Controller('sandbox')
export class SandboxPageController {
  constructor(
    private readonly config: AppConfig,
    private readonly fake: FakeWechatServer,
    private readonly webhooks: SandboxWebhookInbox,
  ) {}

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_CSP)
  page(@Req() req: Request): string | unknown {
    const providers = this.config.get('providers');
    const cast = new Set(SANDBOX_PEOPLE.map((p) => p.label));
    const input: SandboxPageInput = {
      base: `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`,
      wechatApps: this.fake.apps(),
      metPeople: this.fake.people().filter((label) => !cast.has(label) && !label.startsWith('anonymous-')),
      adminPhones: this.config.get('adminPhones'),
      appleBundleIds: providers.apple?.bundleIds ?? SANDBOX_APPLE.bundleIds,
      huaweiClientId: providers.huawei?.clientId ?? SANDBOX_HUAWEI.clientId,
      sandboxCaptcha: this.config.get('captcha')?.provider === 'sandbox',
      webhooks: this.webhooks.list(WEBHOOKS_SHOWN),
    };
    if (!wantsHtml(req.headers.accept)) return sandboxJson(input);
    req.res!.type('html');
    return sandboxPage(input);
  }
}
