import { Args, ArgsType, Context, Field, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { IdentityProvider } from '../common/enums';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { IdentityProviderName } from '../identities/verified-identity';
import { Public } from '../sessions/access.decorator';
import { bearerTokenOf } from '../sessions/bearer-token';
import { SessionsService } from '../sessions/sessions.service';
import { ConnectorLoginService } from './connector-login.service';
import { ConnectorRegistry } from './connector-registry';
import type { HttpPair } from './connector-verification.service';
import { CONNECTORS } from './connectors';

@ObjectType({ description: 'A web redirect login of a provider other than WeChat (QQ)' })
export class ProviderAuthRequest {
  @Field(() => IdentityProvider)
  provider: IdentityProvider;

  @Field({ description: 'one-time, 10 minutes, bound to the device: it comes back with the code' })
  state: string;

  @Field({ description: 'send the browser here' })
  authorizeUrl: string;

  @Field()
  expiresAt: Date;
}

@ArgsType()
class StartProviderArgs {
  @Field(() => IdentityProvider)
  @IsEnum(IdentityProvider)
  provider: IdentityProvider;

  @Field({ description: "where the provider sends the browser back: on the server's allow-list" })
  @IsString()
  @MaxLength(1024)
  redirectUri: string;

  @Field(() => String, { nullable: true, description: 'required: the code must come back with the same one' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}

/** The first step of every provider's web redirect login; the connector's `*Login` finishes it. */
@Resolver()
export class ProviderWebLoginResolver {
  constructor(
    private readonly logins: ConnectorLoginService,
    private readonly registry: ConnectorRegistry,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Mutation(() => ProviderAuthRequest, {
    description: "A web login's one-time state and the provider's page (WeChat: startWechatLogin).",
  })
  async startProviderLogin(
    @Args() args: StartProviderArgs,
    @Context('req') req: HttpPair['req'],
  ): Promise<ProviderAuthRequest> {
    if (args.provider === IdentityProvider.WECHAT) {
      throw DomainError.badInput('provider', 'WeChat web logins start with startWechatLogin');
    }
    const provider = args.provider.toLowerCase() as IdentityProviderName;
    const web = CONNECTORS.filter((c) => 'provider' in c && c.provider === provider)
      .map((c) => ({ id: c.id, app: this.registry.connectorOf(c.id).webApp?.() ?? null }))
      .find((c) => c.app !== null);
    if (!web) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED, `No ${args.provider} web login is configured.`);
    // A signed-in caller gets a state for linking, bound to them.
    const token = bearerTokenOf(req.headers);
    const caller = token ? await this.sessions.authenticate(token).catch(() => null) : null;
    const started = await this.logins.start(web.id, { ...args, appId: web.app! }, caller?.userId ?? null);
    return {
      provider: args.provider,
      state: started.state,
      authorizeUrl: started.authorizeUrl!,
      expiresAt: started.expiresAt,
    };
  }
}
