import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.service';
import { Public } from '../sessions/access.decorator';
import { MetricsService } from './metrics.service';

@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Prometheus text format, for the scraper only: METRICS_TOKEN, or a network that keeps others out. */
  @Public()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.get('metricsToken');
    if (token) {
      const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
      const expected = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedException();
    }
    return this.metrics.registry.metrics();
  }
}
