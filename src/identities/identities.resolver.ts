import { Args, ArgsType, Field, Mutation, Resolver } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { IdentityProvider } from '../common/enums';
import { Meta, RequestMeta } from '../common/request-meta';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { Public, SignedIn } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import { Session } from '../sessions/models/session.model';
import { AuthenticatedCaller } from '../sessions/sessions.service';
import { User } from '../users/models/user.model';
import { UsersService } from '../users/users.service';
import { AccountLinkingService } from './account-linking.service';
import { BindPhoneInput } from './dto/bind-phone.input';
import { PhoneBindingService } from './phone-binding.service';
import type { IdentityProviderName } from './verified-identity';

@ArgsType()
class UnlinkIdentityArgs {
  @Field(() => IdentityProvider)
  @IsEnum(IdentityProvider)
  provider: IdentityProvider;

  @Field(() => String, { nullable: true, description: 'one app of the provider; all of them when omitted' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  appId?: string | null;
}

/** Provider-independent steps: binding a phone to any provider's first login, and unlinking. */
@Resolver()
export class IdentitiesResolver {
  constructor(
    private readonly binding: PhoneBindingService,
    private readonly linking: AccountLinkingService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Mutation(() => Session, {
    description: "Step 3 of any provider's first login: the bind ticket, the phone and its BIND_PHONE code.",
  })
  async bindPhone(@Args('input') input: BindPhoneInput, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.binding.bindWithSmsCode(input, meta);
    return { ...tokens, user: this.users.toSelfModel(user) };
  }

  @SignedIn()
  @Mutation(() => User, { description: 'Remove a way to log in; refused when it is the last one.' })
  async unlinkIdentity(
    @Args() args: UnlinkIdentityArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    const provider = args.provider.toLowerCase() as IdentityProviderName;
    await this.linking.unlink(caller.userId, provider, args.appId ?? null, meta);
    const user = await this.users.findById(caller.userId);
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return this.users.toSelfModel(user);
  }
}
