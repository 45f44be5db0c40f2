import { AccountEventsModule } from './account-events/account-events.module';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, ExecutionContext, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { DestinationStream } from 'pino';
import { BANNER_FAKES } from './banner';
import { Clock } from './common/clock';
import type { AppConfigValues } from './config/app-config';
import { AppConfig } from './config/app-config.service';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { buildGraphqlOptions } from './graphql/graphql-options';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule } from '@nestjs/throttler';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { MetricsModule } from './metrics/metrics.module';
import { ErrorCodesResolver } from './graphql/error-codes.resolver';
import { GqlThrottlerGuard } from './graphql/gql-throttler.guard';
import { ConsoleSmsSender } from './sandbox/console-sms.sender';
import { SmsOutbox } from './sandbox/sms-outbox';
import { SANDBOX_SMS_SENDER } from './sms/sms-sender';
import { AccessGuard } from './sessions/access.guard';
import { CaptchaModule } from './captcha/captcha.module';
import { CounterThrottlerStorage } from './rate-limits/counter-throttler.storage';
import { RateLimitsModule } from './rate-limits/rate-limits.module';
import { TrustedSources } from './rate-limits/trusted-sources';
import { metaOf, requestFromContext } from './common/request-meta';
import { SessionsModule } from './sessions/sessions.module';
import { SessionsService } from './sessions/sessions.service';
import { ProvidersModule } from './providers/providers.module';
import { AccountModule } from './account/account.module';
import { WechatAuthModule } from './wechat/wechat-auth.module';
import { WechatEventsModule } from './wechat/events/wechat-events.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { IdentitiesModule } from './identities/identities.module';
import { LoginOptionsModule } from './login-options/login-options.module';
import { QrLoginModule } from './qr-login/qr-login.module';
import { FollowLoginModule } from './follow-login/follow-login.module';
import { OutboxModule } from './outbox/outbox.module';
import { WebhooksModule } from './webhooks/webhooks.module';

// The composition root, and the only file outside src/sandbox that imports it (a spec in
// test/architecture keeps it so). The sandbox (its fakes of WeChat, Apple, Huawei, the carrier and the
// captcha) is required only in sandbox mode: production neither mounts nor loads it.
const loadSandbox = (): typeof import('./sandbox/sandbox.module') =>
  require('./sandbox/sandbox.module') as typeof import('./sandbox/sandbox.module');
// Configuration allows CAPTCHA_PROVIDER=sandbox only in sandbox mode; a world that keeps it otherwise
// (tests switching the mode) still gets the fake it names.
const loadFakeCaptcha = (): typeof import('./sandbox/fake-captcha/fake-captcha.module') =>
  require('./sandbox/fake-captcha/fake-captcha.module') as typeof import('./sandbox/fake-captcha/fake-captcha.module');

export interface AppModuleOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfigValues, options: AppModuleOptions = {}): DynamicModule {
    const sandbox = config.mode === 'sandbox';
    return {
      module: AppModule,
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config.logLevel, options.logDestination),
        DatabaseModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [SessionsModule],
          inject: [AppConfig, SessionsService],
          useFactory: buildGraphqlOptions,
        }),
        RateLimitsModule,
        CaptchaModule,
        // One budget across instances: the throttle counts on the shared counters (in memory and
        // shared once a second, or Redis). TRUSTED_SOURCES skip it.
        ThrottlerModule.forRootAsync({
          inject: [CounterThrottlerStorage, TrustedSources],
          useFactory: (storage: CounterThrottlerStorage, trusted: TrustedSources) => ({
            throttlers: [{ name: 'public', ttl: 60_000, limit: config.throttlePublicPerMinute }],
            storage,
            skipIf: (context: ExecutionContext) =>
              config.trustedSources.length > 0 && trusted.has(metaOf(requestFromContext(context)).ip),
          }),
        }),
        ScheduleModule.forRoot(),
        HealthModule,
        AuditModule,
        OutboxModule,
        WebhooksModule,
        SessionsModule,
        AccountModule,
        IdentitiesModule,
        LoginOptionsModule,
        WechatAuthModule,
        WechatEventsModule,
        AccountEventsModule,
        ConnectorsModule,
        QrLoginModule,
        FollowLoginModule,
        ProvidersModule,
        AdminModule,
        MetricsModule,
        ...(sandbox
          ? [loadSandbox().SandboxModule]
          : config.captcha?.provider === 'sandbox'
            ? [loadFakeCaptcha().FakeCaptchaModule]
            : []),
      ],
      providers: [
        { provide: Clock, useValue: new Clock(sandbox) },
        { provide: BANNER_FAKES, useValue: sandbox ? loadSandbox().SANDBOX_BANNER_FAKES : [] },
        { provide: SmsOutbox, useValue: new SmsOutbox() },
        // Configuration allows the console provider only outside production.
        ...(config.sms.provider === 'console'
          ? [
              {
                provide: SANDBOX_SMS_SENDER,
                inject: [SmsOutbox, Clock],
                useFactory: (outbox: SmsOutbox, clock: Clock) =>
                  new ConsoleSmsSender(outbox, clock, config.sms.consoleLogCodes),
              },
            ]
          : []),
        { provide: APP_GUARD, useClass: GqlThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        ErrorCodesResolver,
      ],
      exports: [Clock, SmsOutbox, ...(config.sms.provider === 'console' ? [SANDBOX_SMS_SENDER] : [])],
    };
  }
}
