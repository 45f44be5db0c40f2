import { Args, ArgsType, Context, Field, Mutation, Resolver } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import type { Request, Response } from 'express';
import { WechatChannel } from '../common/enums';
import { Meta, RequestMeta } from '../common/request-meta';
import type { WechatChannelName } from '../config/app-config';
import { SignInOutcome } from '../identities/account-linking.service';
import { Public, SignedIn } from '../sessions/access.decorator';
import { bearerTokenOf } from '../sessions/bearer-token';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import { Session } from '../sessions/models/session.model';
import { AuthenticatedCaller, SessionsService } from '../sessions/sessions.service';
import { toUserModel, User } from '../users/models/user.model';
import {
  LinkWechatInput,
  MiniProgramBindPhoneInput,
  MiniProgramLoginInput,
  WechatLoginInput,
} from './dto/wechat-login.input';
import { MiniProgramPhoneService } from './mini-program-phone.service';
import { WechatAuthRequest, WechatLoginResult } from './models/wechat.models';
import { WechatLoginService } from './wechat-login.service';
import { WechatReloginService } from './wechat-relogin.service';

@ArgsType()
class StartArgs {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;

  @Field(() => WechatChannel, { nullable: true, defaultValue: WechatChannel.APP })
  @IsOptional()
  @IsEnum(WechatChannel)
  channel?: WechatChannel | null;

  @Field(() => String, {
    nullable: true,
    description: 'OFFICIAL_ACCOUNT and WEBSITE: where WeChat sends the browser back',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  redirectUri?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'which configured WeChat app (default: the first of the channel)',
  })
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

type GqlContext = { req: Request; res: Response };

/** Every WeChat channel's mutations; each is one service call. */
@Resolver()
export class WechatAuthResolver {
  constructor(
    private readonly wechat: WechatLoginService,
    private readonly relogins: WechatReloginService,
    private readonly miniProgramPhone: MiniProgramPhoneService,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Mutation(() => WechatAuthRequest, {
    description: 'Step 1 of the code channels: the one-time state (and, on the web, the page to send the browser to).',
  })
  async startWechatLogin(@Args() args: StartArgs, @Context('req') req: Request): Promise<WechatAuthRequest> {
    // A signed-in caller gets a state for linking, bound to them.
    const token = bearerTokenOf(req.headers);
    const caller = token ? await this.sessions.authenticate(token).catch(() => null) : null;
    const channel = (args.channel ?? WechatChannel.APP).toLowerCase() as WechatChannelName;
    return this.wechat.start({ ...args, channel }, caller?.userId ?? null);
  }

  @Public()
  @Mutation(() => WechatLoginResult, {
    description: 'Step 2: the code (from the SDK, or the page WeChat redirected back) → a session, or a bind ticket.',
  })
  async wechatLogin(
    @Args('input') input: WechatLoginInput,
    @Context() { req, res }: GqlContext,
    @Meta() meta: RequestMeta,
  ): Promise<WechatLoginResult> {
    return this.toResult(await this.wechat.login(input, req, res, meta));
  }

  @Public()
  @Mutation(() => WechatLoginResult, { description: "A mini program's wx.login() code → a session, or a bind ticket." })
  async wechatMiniProgramLogin(
    @Args('input') input: MiniProgramLoginInput,
    @Context() { req, res }: GqlContext,
    @Meta() meta: RequestMeta,
  ): Promise<WechatLoginResult> {
    return this.toResult(await this.wechat.miniProgramLogin(input, req, res, meta));
  }

  @Public()
  @Mutation(() => Session, {
    description: "A mini program's first login: bind the number from WeChat's phone button (no SMS).",
  })
  async wechatMiniProgramBindPhone(
    @Args('input') input: MiniProgramBindPhoneInput,
    @Meta() meta: RequestMeta,
  ): Promise<Session> {
    const { tokens, user } = await this.miniProgramPhone.bind(input, meta);
    return { ...tokens, user: toUserModel(user, true) };
  }

  @Public()
  @Mutation(() => Session, { description: 'Resume a stored session, re-checking the WeChat grants.' })
  async wechatRelogin(@Args() { refreshToken }: RefreshTokenArgs, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.relogins.relogin(refreshToken, meta);
    return { ...tokens, user: toUserModel(user, true) };
  }

  @SignedIn()
  @Mutation(() => User, {
    description: 'Link a WeChat account to the signed-in user (state from startWechatLogin while signed in).',
  })
  async linkWechat(
    @Args('input') input: LinkWechatInput,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Context() { req, res }: GqlContext,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    return toUserModel(await this.wechat.link(input, caller.userId, req, res, meta), true);
  }

  @SignedIn()
  @Mutation(() => User, { description: 'Remove the WeChat links; refused when they are the only way to log in.' })
  async unlinkWechat(@CurrentCaller() caller: AuthenticatedCaller, @Meta() meta: RequestMeta): Promise<User> {
    return toUserModel(await this.wechat.unlink(caller.userId, meta), true);
  }

  private toResult(outcome: SignInOutcome): WechatLoginResult {
    const { identity } = outcome;
    return {
      isBind: outcome.session !== null,
      session: outcome.session ? { ...outcome.session.tokens, user: toUserModel(outcome.session.user, true) } : null,
      bindTicket: outcome.bindTicket?.ticket ?? null,
      bindTicketExpiresAt: outcome.bindTicket?.expiresAt ?? null,
      wechatProfile: {
        openid: identity.subject,
        unionid: identity.unionid,
        nickname: identity.nickname,
        avatarUrl: identity.avatarUrl,
      },
    };
  }
}
