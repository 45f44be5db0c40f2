import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppModule, AppModuleOptions } from './app.module';
import { DatabaseBudget } from './common/database-budget';
import { requestIdFrom, runWithRequestContext } from './common/request-context';
import type { AppConfigValues } from './config/app-config';
import { DomainError } from './errors/domain-error';
import { mountPlayground } from './admin/playground/playground';
import { ReadinessState } from './health/readiness.service';
import { RequestLoad } from './health/request-load';
import { AppLogger } from './logging/app-logger';
import { logAccess } from './logging/logger-options';
import { jsonBody, parseByteSize } from './common/json-body';
import { corsOptions, varyOnOrigin } from './common/cors-policy';
import { latchUrlParseDeprecation } from './common/url-parse-latch';
import { cacheValidationLookups } from './common/validation-metadata-cache';

/** Builds the whole service, initialised but not yet listening (tests use it as it is). */
export async function createApp(
  config: AppConfigValues,
  options: AppModuleOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
  });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  app.flushLogs();

  app.disable('x-powered-by');
  // GraphQL answers are POSTs marked no-store: an ETag (a SHA-1 of every body) serves no one.
  app.set('etag', false);
  latchUrlParseDeprecation();
  app.set('trust proxy', config.trustProxy);
  const readiness = app.get(ReadinessState);
  const load = app.get(RequestLoad);
  // One middleware for what every request needs: its id (kept in the request context for every log
  // line), the access log line, the count of requests in flight (the refresh job yields to them),
  // and, once draining, `Connection: close` on every response so that
  // keep-alive clients move elsewhere.
  const requestBudgetMs = config.database.requestBudgetMs ?? 2500;
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const startedAt = Date.now();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.id = requestId;
    res.setHeader('X-Request-Id', requestId);
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (readiness.shuttingDown && !this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    load.begin();
    res.once('close', () => {
      load.end();
      logAccess(logger.pino, req, res, startedAt);
    });
    runWithRequestContext({ requestId, databaseBudget: new DatabaseBudget(requestBudgetMs) }, next);
  });
  // Browser pages on other origins (CORS_ORIGINS; loopback in the sandbox): preflights end here.
  app.use(varyOnOrigin);
  app.enableCors(corsOptions(config.cors));
  app.use(jsonBody(parseByteSize(config.httpBodyLimit)));
  mountPlayground(app);

  cacheValidationLookups();
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
