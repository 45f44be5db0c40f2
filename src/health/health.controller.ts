import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../sessions/access.decorator';
import { DatabaseReadiness, ReadinessState } from './readiness.service';

@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessState) {}

  /** The process is up. Never looks at the database or WeChat, so a restart is not triggered by them. */
  @Public()
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Can this instance serve requests: not draining, and its database (node) can take writes. */
  @Public()
  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; database: DatabaseReadiness | 'unknown'; detail?: string }> {
    if (this.readiness.shuttingDown) {
      res.status(503);
      return { status: 'shutting-down', database: 'unknown' };
    }
    const report = await this.readiness.checkDatabase();
    if (report.ready) return { status: 'ok', database: 'ok' };
    res.status(503);
    return { status: 'unavailable', database: report.database, ...(report.detail ? { detail: report.detail } : {}) };
  }
}
