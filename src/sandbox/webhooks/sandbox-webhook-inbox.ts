import { Injectable } from '@nestjs/common';

export interface ReceivedWebhook {
  id: string;
  type: string;
  data: unknown;
  verified: boolean;
  at: string;
}

const KEPT = 200;

/** Sandbox only: what the built-in receiver kept, newest first (its endpoint and the /sandbox page read it). */
@Injectable()
export class SandboxWebhookInbox {
  private readonly received: ReceivedWebhook[] = [];

  add(webhook: ReceivedWebhook): void {
    this.received.unshift(webhook);
    this.received.length = Math.min(this.received.length, KEPT);
  }

  list(limit = KEPT): ReceivedWebhook[] {
    return this.received.slice(0, limit);
  }
}
