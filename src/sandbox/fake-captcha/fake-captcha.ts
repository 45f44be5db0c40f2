import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

import { SANDBOX_CAPTCHA_PREFIX, SANDBOX_CAPTCHA_SCENE } from '../../captcha/sandbox-captcha';

export const FAKE_CAPTCHA_SCENE = SANDBOX_CAPTCHA_SCENE;
export const FAKE_CAPTCHA_PREFIX = SANDBOX_CAPTCHA_PREFIX;

export interface FakeCaptchaCall {
  action: string;
  sceneId: string | null;
  verifyResult: boolean;
}

/**
 * The sandbox's stand-in for Alibaba Cloud Captcha 2.0. `solve()` is the person at the phone solving
 * the puzzle (POST /sandbox/captcha/solve): it returns a token the fake accepts once. `listen()`
 * serves the verification API the official SDK calls (RPC style: a form POST to `/` with
 * `Action=VerifyIntelligentCaptcha`, JSON back), so the production code path runs unchanged.
 */
export class FakeCaptchaServer {
  private readonly live = new Set<string>();
  private readonly received: FakeCaptchaCall[] = [];
  private server: Server | null = null;

  solve(): string {
    const token = `sandbox-captcha.${randomBytes(24).toString('base64url')}`;
    this.live.add(token);
    return token;
  }

  calls(): FakeCaptchaCall[] {
    return [...this.received];
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const action = req.headers['x-acs-action']?.toString() ?? url.searchParams.get('Action') ?? '';
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ RequestId: randomUUID(), ...body }));
    };
    if (req.method !== 'POST' || action !== 'VerifyIntelligentCaptcha') {
      reply(404, { Code: 'InvalidAction.NotFound', Message: 'unknown action', Success: false });
      return;
    }
    const sceneId = form.get('SceneId');
    const token = form.get('CaptchaVerifyParam') ?? '';
    // A token passes once, and only for the scene it was solved in.
    const verifyResult = sceneId === FAKE_CAPTCHA_SCENE && this.live.delete(token);
    this.received.push({ action, sceneId, verifyResult });
    reply(200, {
      Code: 'Success',
      Success: true,
      Message: 'success',
      Result: { VerifyResult: verifyResult, VerifyCode: verifyResult ? 'T001' : 'F003', CertifyId: randomUUID() },
    });
  }
}
