import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { JwksController } from './jwks.controller';
import { SessionEntity } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import { SessionsResolver } from './sessions.resolver';
import { SessionRotation } from './session-rotation';
import { SessionsService } from './sessions.service';
import { TokenSigner } from './token-signer.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity]), UsersModule],
  controllers: [JwksController],
  providers: [TokenSigner, SessionsRepository, SessionRotation, SessionsService, SessionsResolver],
  exports: [SessionsService, SessionsRepository, TokenSigner],
})
export class SessionsModule {}
