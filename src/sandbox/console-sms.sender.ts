import { Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/mask';
import { SmsMessage, SmsSender } from '../sms/sms-sender';
import { SmsOutbox } from './sms-outbox';

/**
 * Sandbox delivery: the code goes to the sandbox outbox (GET /sandbox/sms/outbox) and, unless
 * SMS_CONSOLE_LOG_CODES=false, to the log, so a newcomer can log in from the playground.
 * Refused in production by configuration.
 */
export class ConsoleSmsSender extends SmsSender {
  readonly name = 'console';
  private readonly logger = new Logger('SandboxSms');

  constructor(
    private readonly outbox: SmsOutbox,
    private readonly clock: Clock,
    private readonly logCodes: boolean,
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    this.outbox.add({
      phone: message.phone,
      purpose: message.purpose,
      code: message.code,
      sentAt: this.clock.now().toISOString(),
    });
    if (this.logCodes) {
      this.logger.warn(`SANDBOX SMS to ${maskPhone(message.phone)} (${message.purpose}): code ${message.code}`);
    }
  }
}
