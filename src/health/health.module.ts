import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ReadinessState } from './readiness.service';
import { RequestLoad } from './request-load';

@Module({
  controllers: [HealthController],
  providers: [ReadinessState, RequestLoad],
  exports: [ReadinessState, RequestLoad],
})
export class HealthModule {}
