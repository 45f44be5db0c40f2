import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender';

export const WEBHOOK_TIMEOUT_MS = 5000;
/** Connections kept open to the gateway (each send reuses one instead of a new handshake). */
const MAX_SOCKETS = 64;

/**
 * POSTs {phone, code, purpose, ttlSeconds} as JSON to your own gateway. The body is signed:
 * X-Signature: sha256=HMAC-SHA256(secret, `${X-Timestamp}.${body}`), so the gateway can refuse
 * forgeries and replays (check the timestamp is recent). node:http(s) over keep-alive connections:
 * a send costs a request on an open connection, not a new connection (nor fetch's machinery).
 */
export class WebhookSmsSender extends SmsSender {
  readonly name = 'webhook';
  private readonly target: URL;
  private readonly client: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(
    url: string,
    private readonly secret: string,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {
    super();
    this.target = new URL(url);
    const secure = this.target.protocol === 'https:';
    this.client = secure ? https : http;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
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
    const status = await this.post(body, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-timestamp': timestamp,
      'x-signature': `sha256=${signature}`,
    });
    if (status < 200 || status > 299) throw new SmsDeliveryError(this.name, `HTTP ${status}`);
  }

  /** The answer's status; its body is drained (so the connection is reused), never read: it is not ours to log. */
  private post(body: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const fail = () => {
        clearTimeout(timer);
        reject(new SmsDeliveryError(this.name, timedOut ? 'timeout' : 'unreachable'));
      };
      const request = this.client.request(this.target, { method: 'POST', headers, agent: this.agent }, (response) => {
        response.resume();
        response.once('end', () => {
          clearTimeout(timer);
          resolve(response.statusCode ?? 0);
        });
        // Cut off mid-answer (the timeout, or the gateway): a promise settles once, so after 'end' this is moot.
        response.once('error', fail);
        response.once('close', () => {
          if (!response.complete) fail();
        });
      });
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, this.timeoutMs);
      request.once('error', fail);
      request.end(body);
    });
  }
}
