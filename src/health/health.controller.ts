import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Database } from '../database/database.service';
import { Public } from '../sessions/access.decorator';
import { ReadinessState } from './readiness.service';

const DB_PING_TIMEOUT_MS = 1000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly database: Database,
    private readonly readiness: ReadinessState,
  ) {}

  /** The process is up. Never looks at the database or WeChat, so a restart is not triggered by them. */
  @Public()
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Can this instance serve requests: not draining, and the database answers quickly. */
  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; database: string }> {
    if (this.readiness.shuttingDown) {
      res.status(503);
      return { status: 'shutting-down', database: 'unknown' };
    }
    try {
      await this.database.ping(DB_PING_TIMEOUT_MS);
      return { status: 'ok', database: 'ok' };
    } catch {
      res.status(503);
      return { status: 'unavailable', database: 'unreachable' };
    }
  }
}
