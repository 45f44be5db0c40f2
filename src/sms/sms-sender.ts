import type { SmsPurposeValue } from './sms-code.entity';

export interface SmsMessage {
  /** E.164. */
  phone: string;
  code: string;
  purpose: SmsPurposeValue;
  ttlSeconds: number;
}

/** The one door to the SMS gateway; chosen by SMS_PROVIDER. Tests swap the gateway, not this code. */
export abstract class SmsSender {
  abstract readonly name: string;
  abstract send(message: SmsMessage): Promise<void>;
}

/** The gateway refused or did not answer; the message text never holds the code or the number. */
export class SmsDeliveryError extends Error {
  constructor(provider: string, reason: string) {
    super(`${provider} SMS delivery failed: ${reason}`);
    this.name = 'SmsDeliveryError';
  }
}

/**
 * The sandbox's sender (console and outbox), provided only in sandbox mode, so that the production
 * SMS path never imports the sandbox.
 */
export const SANDBOX_SMS_SENDER = Symbol('SANDBOX_SMS_SENDER');
