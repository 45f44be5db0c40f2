import { Args, ArgsType, Context, Field, Mutation, Resolver } from '@nestjs/graphql';
import { UseGuards } from '@nestjs/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Meta, RequestMeta } from '../common/request-meta';
import { Public, SignedIn } from '../sessions/access.decorator';
import { bearerTokenOf } from '../sessions/bearer-token';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import { Session } from '../sessions/models/session.model';
import { AuthenticatedCaller, SessionsService } from '../sessions/sessions.service';
import { User } from '../users/models/user.model';
import { UsersService } from '../users/users.service';
import { BindPhoneInput } from './dto/bind-phone.input';
import { LinkWechatInput, WechatLoginInput } from './dto/wechat-login.input';
import { WechatAuthRequest, WechatLoginResult } from './models/wechat.models';
import { WechatAuthorizer } from './wechat-authorizer.service';
import { WechatCode, WechatCodeGuard, WechatRequest } from './wechat-code.guard';
import { WechatLoginService } from './wechat-login.service';

@ArgsType()
class StartArgs {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;

  @Field(() => String, { nullable: true, description: 'which configured WeChat app (default: the first)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  appId?: string | null;
}

@ArgsType()
class RefreshTokenArgs {
  @Field()
  @IsString()
  @MaxLength(128)
  refreshToken: string;
}

@Resolver()
export class WechatAuthResolver {
  constructor(
    private readonly wechat: WechatLoginService,
    private readonly authorizer: WechatAuthorizer,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Mutation(() => WechatAuthRequest, { description: 'Step 1: the one-time state and what SendAuth.Req needs.' })
  async startWechatLogin(@Args() args: StartArgs, @Context('req') req: WechatRequest): Promise<WechatAuthRequest> {
    // A signed-in caller gets a state for linking, bound to them.
    const token = bearerTokenOf(req.headers);
    const caller = token ? await this.sessions.authenticate(token).catch(() => null) : null;
    return this.wechat.start(this.authorizer.resolveApp(args.appId), args.deviceId ?? null, caller?.userId ?? null);
  }

  @Public()
  @WechatCode('login')
  @UseGuards(WechatCodeGuard)
  @Mutation(() => WechatLoginResult, {
    description: 'Step 2: the code from the WeChat SDK → a session, or a bind ticket.',
  })
  async wechatLogin(
    @Args('input') input: WechatLoginInput,
    @Context('req') req: WechatRequest,
    @Meta() meta: RequestMeta,
  ): Promise<WechatLoginResult> {
    const outcome = await this.wechat.login(req.wechatAuth!, input, meta);
    const { identity } = outcome;
    return {
      isBind: outcome.session !== null,
      session: outcome.session
        ? { ...outcome.session.tokens, user: await this.users.toSelfModel(outcome.session.user) }
        : null,
      bindTicket: outcome.bindTicket?.ticket ?? null,
      bindTicketExpiresAt: outcome.bindTicket?.expiresAt ?? null,
      wechatProfile: {
        openid: identity.openid,
        unionid: identity.unionid,
        nickname: identity.nickname,
        avatarUrl: identity.avatarUrl,
      },
    };
  }

  @Public()
  @Mutation(() => Session, {
    description: 'Step 3 for a first login: the bind ticket, the phone and its BIND_PHONE code.',
  })
  async bindPhone(@Args('input') input: BindPhoneInput, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.wechat.bindPhone(input, meta);
    return { ...tokens, user: await this.users.toSelfModel(user) };
  }

  @Public()
  @Mutation(() => Session, { description: 'Resume a stored session, re-checking the WeChat grant.' })
  async wechatRelogin(@Args() { refreshToken }: RefreshTokenArgs, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.wechat.relogin(refreshToken, meta);
    return { ...tokens, user: await this.users.toSelfModel(user) };
  }

  @SignedIn()
  @WechatCode('link')
  @UseGuards(WechatCodeGuard)
  @Mutation(() => User, {
    description: 'Link a WeChat account to the signed-in user (state from startWechatLogin while signed in).',
  })
  async linkWechat(
    @Args('input') _input: LinkWechatInput,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Context('req') req: WechatRequest,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    const user = await this.wechat.link(req.wechatAuth!, caller.userId, meta);
    return this.users.toSelfModel(user);
  }

  @SignedIn()
  @Mutation(() => User, { description: 'Remove the WeChat link; refused when it is the only way to log in.' })
  async unlinkWechat(@CurrentCaller() caller: AuthenticatedCaller, @Meta() meta: RequestMeta): Promise<User> {
    return this.users.toSelfModel(await this.wechat.unlink(caller.userId, meta));
  }
}
