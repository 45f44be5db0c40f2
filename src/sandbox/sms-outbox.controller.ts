import { Controller, Get, Query } from '@nestjs/common';
import { AppConfig } from '../config/app-config.service';
import { Public } from '../sessions/access.decorator';
import { parseMobilePhone } from '../users/phone-number';
import { OutboxMessage, SmsOutbox } from './sms-outbox';

/** Sandbox only: what the console SMS provider "sent", newest first. */
@Controller('sandbox/sms')
export class SmsOutboxController {
  constructor(
    private readonly outbox: SmsOutbox,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('outbox')
  messages(@Query('phone') phone?: string): { messages: OutboxMessage[] } {
    if (!phone) return { messages: this.outbox.list() };
    let normalised = phone;
    try {
      normalised = parseMobilePhone(phone, this.config.get('allowedPhoneRegions'));
    } catch {
      // not a number we accept: nothing was sent to it
    }
    return { messages: this.outbox.list(normalised) };
  }
}
