import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import { requestIdFrom, runWithRequestContext } from './common/request-context';
import type { AppConfigValues } from './config/app-config';
import { DomainError } from './errors/domain-error';
import { mountPlayground } from './admin/playground/playground';
import { ReadinessState } from './health/readiness.service';

/** Builds the whole service, initialised but not yet listening (tests use it as it is). */
export async function createApp(
  config: AppConfigValues,
  options: AppModuleOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  app.disable('x-powered-by');
  // Once draining, every response closes its connection, so keep-alive clients move elsewhere.
  const readiness = app.get(ReadinessState);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (readiness.shuttingDown && !this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    next();
  });
  app.set('trust proxy', config.trustProxy);
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.id = requestId;
    res.setHeader('X-Request-Id', requestId);
    runWithRequestContext({ requestId }, next);
  });
  app.useBodyParser('json', { limit: config.httpBodyLimit });
  mountPlayground(app);

  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors: ValidationError[]) => firstValidationProblem(errors),
    }),
  );
  await app.init();
  return app;
}

// One BAD_USER_INPUT naming the first field at fault; never echoes the value.
function firstValidationProblem(errors: ValidationError[]): DomainError | BadRequestException {
  let error: ValidationError | undefined = errors[0];
  const path: string[] = [];
  while (error) {
    path.push(error.property);
    if (error.constraints) {
      const message = Object.values(error.constraints)[0] ?? 'is not valid';
      return DomainError.badInput(path.join('.'), message.replace(new RegExp(`^${error.property}\\s*`), ''));
    }
    error = error.children?.[0];
  }
  return new BadRequestException();
}
