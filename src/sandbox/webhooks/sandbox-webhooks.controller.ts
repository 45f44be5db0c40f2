import { Body, Controller, Get, Headers, HttpCode, HttpException, Post } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../../config/app-config.service';
import { Public } from '../../sessions/access.decorator';
import { ReceivedWebhook, SandboxWebhookInbox } from './sandbox-webhook-inbox';

/**
 * Sandbox only: the app backend a newcomer does not have yet. With WEBHOOK_URL unset, deliveries come
 * here; each is verified with the specification's library (`standardwebhooks`) and kept, newest first.
 * The body is verified as re-serialised JSON (the app reads no raw bytes), which is byte-exact for our
 * sender's JSON.stringify output; a real receiver verifies the raw body (docs/webhooks.md).
 */
@Controller('sandbox/webhooks')
export class SandboxWebhooksController {
  private readonly verifier: Webhook | null;

  constructor(
    config: AppConfig,
    private readonly inbox: SandboxWebhookInbox,
  ) {
    const secret = config.get('webhooks').secret;
    this.verifier = secret ? new Webhook(secret) : null;
  }

  @Public()
  @Post('receive')
  @HttpCode(204)
  receive(@Body() body: unknown, @Headers() headers: Record<string, string>): void {
    let verified = false;
    try {
      this.verifier?.verify(JSON.stringify(body), headers);
      verified = this.verifier !== null;
    } catch {
      verified = false;
    }
    const event = (body ?? {}) as { type?: unknown; data?: unknown };
    this.inbox.add({
      id: String(headers['webhook-id'] ?? ''),
      type: typeof event.type === 'string' ? event.type : '',
      data: event.data ?? null,
      verified,
      at: new Date().toISOString(),
    });
    if (!verified) throw new HttpException({ error: 'signature not verified' }, 400);
  }

  @Public()
  @Get('received')
  list(): { deliveries: ReceivedWebhook[] } {
    return { deliveries: this.inbox.list() };
  }
}
