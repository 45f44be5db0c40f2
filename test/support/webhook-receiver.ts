import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as it arrived: the raw body and the Standard Webhooks headers. */
export interface Receipt {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * An app backend on 127.0.0.1 for the tests: keeps every request with its raw bytes, and answers
 * what `answer` says (200 unless told otherwise, e.g. 500 to the first try of each id).
 */
export class WebhookReceiver {
  readonly receipts: Receipt[] = [];
  answer: (receipt: Omit<Receipt, 'status'>, tries: number) => number = () => 200;
  private server: Server | null = null;

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const receipt = {
          id: String(req.headers['webhook-id'] ?? ''),
          timestamp: String(req.headers['webhook-timestamp'] ?? ''),
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
        };
        const tries = this.receipts.filter((r) => r.id === receipt.id).length + 1;
        const status = this.answer(receipt, tries);
        this.receipts.push({ ...receipt, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** The events accepted (2xx), in arrival order. */
  accepted(): { id: string; type: string; data: Record<string, unknown> }[] {
    return this.receipts
      .filter((r) => r.status < 300)
      .map((r) => {
        const event = JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
        return { id: r.id, type: event.type, data: event.data };
      });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Both verifications of a receipt: the specification's library (`standardwebhooks` Webhook.verify),
 * and the specification's algorithm written out here with node:crypto (an implementation that shares
 * no code with the sender's): HMAC-SHA256 over "<id>.<timestamp>.<body>", keyed with the
 * base64-decoded secret, base64, prefixed "v1,".
 */
export function verifyReceipt(secret: string, receipt: Receipt): { library: boolean; independent: boolean } {
  let library = false;
  try {
    new Webhook(secret).verify(receipt.body, {
      'webhook-id': receipt.id,
      'webhook-timestamp': receipt.timestamp,
      'webhook-signature': receipt.signature,
    });
    library = true;
  } catch {
    library = false;
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(
    `v1,${createHmac('sha256', key).update(`${receipt.id}.${receipt.timestamp}.${receipt.body}`).digest('base64')}`,
  );
  const independent = receipt.signature
    .split(' ')
    .some((sig) => sig.length === expected.length && timingSafeEqual(Buffer.from(sig), expected));
  return { library, independent };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
