import { DynamicModule, Global, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppLogger } from './app-logger';
import { createRootLogger } from './logger-options';

/** The one root logger (pino) and Nest's view of it. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(level: string, destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: AppLogger, useFactory: () => new AppLogger(createRootLogger(level, destination)) }],
      exports: [AppLogger],
    };
  }
}
