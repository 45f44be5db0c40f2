import { Args, ArgsType, Context, Field, Mutation, Resolver } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { WechatChannel } from '../../common/enums';
import { Meta, RequestMeta } from '../../common/request-meta';
import type { WechatChannelName } from '../../config/app-config';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import type { SignInOutcome } from '../../identities/account-linking.service';
import { Public, SignedIn } from '../../sessions/access.decorator';
import { bearerTokenOf } from '../../sessions/bearer-token';
import { CurrentCaller } from '../../sessions/current-caller.decorator';
import { AuthenticatedCaller, SessionsService } from '../../sessions/sessions.service';
import { toUserModel, User } from '../../users/models/user.model';
import { LinkWechatInput, MiniProgramLoginInput, WechatLoginInput } from '../../wechat/dto/wechat-login.input';
import { WechatAuthRequest, WechatLoginResult } from '../../wechat/models/wechat.models';
import { WechatApiClient } from '../../wechat/wechat-api.client';
import { ConnectorLoginService } from '../connector-login.service';
import type { HttpPair } from '../connector-verification.service';
import { toLoginResult } from '../../identities/login-result';
import { WechatMiniProgramConnector } from './mini-program.connector';
import { WechatConnector } from './wechat.connector';

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

/** WeChat's login mutations, on its two connectors (the OAuth code channels, and mini programs). */
@Resolver()
export class WechatLoginResolver {
  constructor(
    private readonly logins: ConnectorLoginService,
    private readonly wechat: WechatConnector,
    private readonly client: WechatApiClient,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Mutation(() => WechatAuthRequest, {
    description: 'Step 1 of the code channels: the one-time state (and, on the web, the page to send the browser to).',
  })
  async startWechatLogin(@Args() args: StartArgs, @Context('req') req: HttpPair['req']): Promise<WechatAuthRequest> {
    const channel = (args.channel ?? WechatChannel.APP).toLowerCase() as WechatChannelName;
    if (channel === 'mini_program')
      throw DomainError.badInput('channel', 'mini programs log in with wechatMiniProgramLogin');
    const app = args.appId ? this.client.app(args.appId) : this.client.firstAppOf(channel);
    if (args.appId && !app) throw DomainError.badInput('appId', 'not a configured WeChat app');
    if (!app) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED, `No WeChat ${channel} app is configured.`);
    const oauth = this.wechat.oauthApp(app.appId);
    // A signed-in caller gets a state for linking, bound to them.
    const token = bearerTokenOf(req.headers);
    const caller = token ? await this.sessions.authenticate(token).catch(() => null) : null;
    const started = await this.logins.start(
      WechatConnector.id,
      { ...args, appId: oauth.appId },
      caller?.userId ?? null,
    );
    return { ...started, scope: this.wechat.scopeOf(oauth.channel) };
  }

  @Public()
  @Mutation(() => WechatLoginResult, {
    description: 'Step 2: the code (from the SDK, or the page WeChat redirected back) → a session, or a bind ticket.',
  })
  async wechatLogin(
    @Args('input') input: WechatLoginInput,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<WechatLoginResult> {
    return toWechatResult(await this.logins.login(WechatConnector.id, input, http, meta));
  }

  @Public()
  @Mutation(() => WechatLoginResult, { description: "A mini program's wx.login() code → a session, or a bind ticket." })
  async wechatMiniProgramLogin(
    @Args('input') input: MiniProgramLoginInput,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<WechatLoginResult> {
    const outcome = await this.logins.login(WechatMiniProgramConnector.id, { ...input, platform: null }, http, meta);
    return toWechatResult(outcome);
  }

  @SignedIn()
  @Mutation(() => User, {
    description: 'Link a WeChat account to the signed-in user (state from startWechatLogin while signed in).',
  })
  async linkWechat(
    @Args('input') input: LinkWechatInput,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<User> {
    return toUserModel(await this.logins.link(WechatConnector.id, input, caller.userId, http, meta), true);
  }

  @SignedIn()
  @Mutation(() => User, { description: 'Remove the WeChat links; refused when they are the only way to log in.' })
  async unlinkWechat(@CurrentCaller() caller: AuthenticatedCaller, @Meta() meta: RequestMeta): Promise<User> {
    return toUserModel(await this.logins.unlink('wechat', caller.userId, meta), true);
  }
}

function toWechatResult(outcome: SignInOutcome): WechatLoginResult {
  const { identity } = outcome;
  return {
    ...toLoginResult(outcome),
    wechatProfile: {
      openid: identity.subject,
      unionid: identity.unionid,
      nickname: identity.nickname,
      avatarUrl: identity.avatarUrl,
    },
  };
}
