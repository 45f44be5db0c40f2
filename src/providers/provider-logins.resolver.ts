import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { SignedIn, SignInOutcome } from '../identities/account-linking.service';
import { LoginResult } from '../identities/models/identity.models';
import { Public, SignedIn as SignedInAccess } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import { Session } from '../sessions/models/session.model';
import { AuthenticatedCaller } from '../sessions/sessions.service';
import { User } from '../users/models/user.model';
import { UsersService } from '../users/users.service';
import { AppleLoginService } from './apple/apple-login.service';
import { CarrierLoginService } from './carrier/carrier-login.service';
import {
  AppleLoginInput,
  CarrierBindPhoneInput,
  CarrierLoginInput,
  HuaweiLoginInput,
} from './dto/provider-login.inputs';
import { HuaweiLoginService } from './huawei/huawei-login.service';

/** Sign in with Apple, Huawei ID and carrier one-tap: each mutation is one service call. */
@Resolver()
export class ProviderLoginsResolver {
  constructor(
    private readonly apple: AppleLoginService,
    private readonly huawei: HuaweiLoginService,
    private readonly carrier: CarrierLoginService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Mutation(() => LoginResult, { description: 'Sign in with Apple: a session, or a bind ticket for a new person.' })
  async appleLogin(@Args('input') input: AppleLoginInput, @Meta() meta: RequestMeta): Promise<LoginResult> {
    return this.toResult(await this.apple.login(input, { deviceId: input.deviceId }, meta));
  }

  @Public()
  @Mutation(() => LoginResult, { description: 'Huawei ID (HarmonyOS): a session, or a bind ticket for a new person.' })
  async huaweiLogin(@Args('input') input: HuaweiLoginInput, @Meta() meta: RequestMeta): Promise<LoginResult> {
    return this.toResult(await this.huawei.login(input.authorizationCode, { deviceId: input.deviceId }, meta));
  }

  @Public()
  @Mutation(() => Session, { description: 'Carrier one-tap: log in (or sign up) with the SIM’s own number.' })
  async carrierLogin(@Args('input') input: CarrierLoginInput, @Meta() meta: RequestMeta): Promise<Session> {
    return this.toSession(await this.carrier.login(input, meta));
  }

  @Public()
  @Mutation(() => Session, {
    description: 'Carrier one-tap as the phone step of a first login (any provider’s ticket).',
  })
  async carrierBindPhone(@Args('input') input: CarrierBindPhoneInput, @Meta() meta: RequestMeta): Promise<Session> {
    return this.toSession(await this.carrier.bindPhone(input, meta));
  }

  @SignedInAccess()
  @Mutation(() => User, { description: 'Add Sign in with Apple to the signed-in user.' })
  async linkApple(
    @Args('input') input: AppleLoginInput,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    return this.users.toSelfModel(await this.apple.link(input, caller.userId, meta));
  }

  @SignedInAccess()
  @Mutation(() => User, { description: 'Add Huawei ID to the signed-in user.' })
  async linkHuawei(
    @Args('input') input: HuaweiLoginInput,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    return this.users.toSelfModel(await this.huawei.link(input.authorizationCode, caller.userId, meta));
  }

  private toSession({ tokens, user }: SignedIn): Session {
    return { ...tokens, user: this.users.toSelfModel(user) };
  }

  private toResult(outcome: SignInOutcome): LoginResult {
    return {
      isBind: outcome.session !== null,
      session: outcome.session ? this.toSession(outcome.session) : null,
      bindTicket: outcome.bindTicket?.ticket ?? null,
      bindTicketExpiresAt: outcome.bindTicket?.expiresAt ?? null,
    };
  }
}
