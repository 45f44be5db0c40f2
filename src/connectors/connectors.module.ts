import { Module, OnModuleInit } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentitiesModule } from '../identities/identities.module';
import { IdentityRevocations } from '../identities/identity-revocations';
import { loginMethodOf } from '../identities/verified-identity';
import { LoginOptionsModule } from '../login-options/login-options.module';
import { LoginOptionsService } from '../login-options/login-options.service';
import { SessionsModule } from '../sessions/sessions.module';
import { WechatAuthModule } from '../wechat/wechat-auth.module';
import { CarrierLoginService } from './carrier/carrier-login.service';
import { CodeExchangesRepository } from './code-exchanges.repository';
import { CodeExchangesService } from './code-exchanges.service';
import { ConnectorLoginService } from './connector-login.service';
import { ConnectorReauthentication } from './connector-reauthentication.service';
import { ConnectorVerification } from './connector-verification.service';
import { ConnectorRegistry } from './connector-registry';
import { CONNECTOR_RESOLVERS, CONNECTORS } from './connectors';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateEntity } from './entities/login-state.entity';
import { LoginStateStore } from './login-state.store';
import { ProviderWebLoginResolver } from './provider-web-login.resolver';
import { WechatFollowerResolver } from './wechat/wechat-follower.resolver';

/**
 * Every way to log in with a provider: the connectors (Passport strategies, CONNECTORS), their
 * mutations, and the one login service that runs any of them (states, code records, verification,
 * then IdentitiesModule's account-linking path).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([LoginStateEntity, CodeExchangeEntity]),
    PassportModule,
    IdentitiesModule,
    SessionsModule,
    WechatAuthModule,
    LoginOptionsModule,
  ],
  providers: [
    ConnectorRegistry,
    CarrierLoginService,
    ...CONNECTORS,
    CodeExchangesRepository,
    CodeExchangesService,
    LoginStateStore,
    ConnectorVerification,
    ConnectorLoginService,
    ConnectorReauthentication,
    ...CONNECTOR_RESOLVERS,
    ProviderWebLoginResolver,
    // Follow login (src/follow-login/) turns a follower into a user or a bind ticket with it.
    WechatFollowerResolver,
  ],
  exports: [ConnectorLoginService, ConnectorReauthentication, WechatFollowerResolver],
})
export class ConnectorsModule implements OnModuleInit {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly revocations: IdentityRevocations,
    private readonly loginOptions: LoginOptionsService,
  ) {}

  /** What a provider must be told when one of its identities goes (unlink, deletion); its login button. */
  onModuleInit(): void {
    for (const entry of CONNECTORS) {
      const provider = 'provider' in entry ? entry.provider : null;
      if (!provider) continue;
      const connector = this.registry.connectorOf(entry.id);
      if (connector.revoke) this.revocations.register(provider, (identity) => connector.revoke!(identity));
      if (connector.loginPlatforms && connector.appFor(null) !== null) {
        this.loginOptions.offer({ method: loginMethodOf(provider), platforms: connector.loginPlatforms });
      }
    }
  }
}
