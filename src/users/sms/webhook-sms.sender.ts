import { createHmac } from 'node:crypto';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender';

export const WEBHOOK_TIMEOUT_MS = 5000;

/**
 * POSTs {phone, code, purpose, ttlSeconds} as JSON to your own gateway. The body is signed:
 * X-Signature: sha256=HMAC-SHA256(secret, `${X-Timestamp}.${body}`), so the gateway can refuse
 * forgeries and replays (check the timestamp is recent).
 */
export class WebhookSmsSender extends SmsSender {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    const body = JSON.stringify({
      phone: message.phone,
      code: message.code,
      purpose: message.purpose,
      ttlSeconds: message.ttlSeconds,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', this.secret).update(`${timestamp}.${body}`).digest('hex');
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': `sha256=${signature}` },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SmsDeliveryError(
        this.name,
        (error as { name?: string })?.name === 'TimeoutError' ? 'timeout' : 'unreachable',
      );
    }
    // Drain the body so the connection can be reused; its content is not ours to log.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new SmsDeliveryError(this.name, `HTTP ${response.status}`);
  }
}
