import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.service';
import { FakeWechatServer } from './fake-wechat/fake-wechat';

/** Only imported in sandbox mode: in production none of /sandbox/* exists. */
@Module({
  providers: [
    {
      provide: FakeWechatServer,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('FakeWechat');
        return new FakeWechatServer({
          apps: config.get('wechat').apps,
          onCall: (call) => logger.debug(`${call.endpoint} → ${call.result}`),
        });
      },
    },
  ],
  exports: [FakeWechatServer],
})
export class SandboxModule {}
