import { Args, ArgsType, Field, Mutation, Resolver } from '@nestjs/graphql';
import { IsString, MaxLength } from 'class-validator';
import { Meta, RequestMeta } from '../common/request-meta';
import { Public } from '../sessions/access.decorator';
import { Session } from '../sessions/models/session.model';
import { toUserModel } from '../users/models/user.model';
import { MiniProgramBindPhoneInput } from './dto/wechat-login.input';
import { MiniProgramPhoneService } from './mini-program-phone.service';
import { WechatReloginService } from './wechat-relogin.service';

@ArgsType()
class RefreshTokenArgs {
  @Field()
  @IsString()
  @MaxLength(128)
  refreshToken: string;
}

/** WeChat after the login (ConnectorsModule's): re-login on a stored session, the mini program's phone button. */
@Resolver()
export class WechatAuthResolver {
  constructor(
    private readonly relogins: WechatReloginService,
    private readonly miniProgramPhone: MiniProgramPhoneService,
  ) {}

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
}
