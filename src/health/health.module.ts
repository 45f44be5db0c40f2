import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ReadinessState } from './readiness.service';

@Module({
  controllers: [HealthController],
  providers: [ReadinessState],
  exports: [ReadinessState],
})
export class HealthModule {}
