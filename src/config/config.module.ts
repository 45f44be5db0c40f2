import { DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfigValues } from './app-config';
import { AppConfig } from './app-config.service';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(values: AppConfigValues): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: new AppConfig(values) }],
      exports: [AppConfig],
    };
  }
}
