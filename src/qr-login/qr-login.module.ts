import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { HealthModule } from '../health/health.module';
import { IdentitiesModule } from '../identities/identities.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { QrFollowService } from './qr-follow.service';
import { QrLoginStreamController } from './qr-login-stream.controller';
import { QrLoginEntity } from './qr-login.entity';
import { QrLoginResolver } from './qr-login.resolver';
import { QrLoginService } from './qr-login.service';
import { QrLoginsRepository } from './qr-logins.repository';

/**
 * QR login: a page shows a code; the signed-in app (scan, confirm) or WeChat (follow the official
 * account, through QrFollowService) completes it; the page collects the session once. State lives only
 * in `qr_logins`. Also the SSE endpoint for GraphQL subscriptions (/graphql/stream).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([QrLoginEntity]),
    IdentitiesModule,
    SessionsModule,
    UsersModule,
    AuditModule,
    HealthModule,
  ],
  controllers: [QrLoginStreamController],
  providers: [QrLoginsRepository, QrLoginService, QrFollowService, QrLoginResolver],
  exports: [QrLoginService, QrFollowService],
})
export class QrLoginModule {}
