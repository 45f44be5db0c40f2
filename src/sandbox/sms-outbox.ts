import type { SmsPurposeValue } from '../sms/sms-code.entity';

export interface OutboxMessage {
  phone: string;
  purpose: SmsPurposeValue;
  code: string;
  sentAt: string;
}

const CAPACITY = 1000;

/** Sandbox only: the SMS codes the console provider "sent", newest first, for the playground and tests. */
export class SmsOutbox {
  private messages: OutboxMessage[] = [];

  add(message: OutboxMessage): void {
    this.messages.unshift(message);
    if (this.messages.length > CAPACITY) this.messages.length = CAPACITY;
  }

  list(phone?: string): OutboxMessage[] {
    return phone ? this.messages.filter((m) => m.phone === phone) : [...this.messages];
  }

  latestCode(phone: string): string | undefined {
    return this.messages.find((m) => m.phone === phone)?.code;
  }
}
