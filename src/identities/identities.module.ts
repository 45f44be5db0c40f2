import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokenCipher } from '../common/token-cipher';
import { SessionsModule } from '../sessions/sessions.module';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountLinkingService } from './account-linking.service';
import { BindTicketEntity } from './bind-ticket.entity';
import { BindTicketsRepository } from './bind-tickets.repository';
import { BindTicketsService } from './bind-tickets.service';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesResolver } from './identities.resolver';
import { IdentitiesService } from './identities.service';
import { IdentityConflictEntity } from './identity-conflict.entity';
import { IdentityRevocations } from './identity-revocations';
import { IdentityEntity } from './identity.entity';
import { IdentityOwnershipService } from './identity-ownership.service';
import { IdentityUnlinkingService } from './identity-unlinking.service';
import { PersonFoldingService } from './person-folding.service';
import { PhoneOwnersService } from './phone-owners.service';
import { SignInService } from './sign-in.service';
import { PhoneBindingService } from './phone-binding.service';
import { UserIdentitiesResolver } from './user-identities.resolver';

/**
 * One person, many identities: identities of every provider, the one account-linking path, the one
 * sign-in core (phone and carrier logins too), bind tickets and phone binding. Providers (WeChat's
 * channels, Apple, Huawei, the carrier) verify; this module decides whom an identity belongs to.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([IdentityEntity, IdentityConflictEntity, BindTicketEntity]),
    UsersModule,
    SessionsModule,
    SmsModule,
  ],
  providers: [
    TokenCipher,
    IdentitiesRepository,
    BindTicketsRepository,
    IdentitiesService,
    BindTicketsService,
    SignInService,
    IdentityOwnershipService,
    PersonFoldingService,
    PhoneOwnersService,
    IdentityUnlinkingService,
    AccountLinkingService,
    PhoneBindingService,
    IdentityRevocations,
    IdentitiesResolver,
    UserIdentitiesResolver,
  ],
  exports: [
    TokenCipher,
    IdentitiesRepository,
    IdentitiesService,
    BindTicketsService,
    SignInService,
    IdentityUnlinkingService,
    AccountLinkingService,
    PhoneBindingService,
    IdentityRevocations,
  ],
})
export class IdentitiesModule {}
