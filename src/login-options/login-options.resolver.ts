import { Args, ArgsType, Field, Query, Resolver } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { Platform } from '../common/enums';
import { Public } from '../sessions/access.decorator';
import { LoginOptionsService } from './login-options.service';
import { LoginOptions } from './models/login-options.model';

@ArgsType()
class LoginOptionsArgs {
  @Field(() => Platform)
  @IsEnum(Platform)
  platform: Platform;

  @Field()
  @IsBoolean()
  wechatInstalled: boolean;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'the carrier SDK says one-tap works on this SIM',
  })
  @IsOptional()
  @IsBoolean()
  carrierAvailable?: boolean | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "WEB: the page runs in WeChat's browser" })
  @IsOptional()
  @IsBoolean()
  inWechatBrowser?: boolean | null;
}

@Resolver(() => LoginOptions)
export class LoginOptionsResolver {
  constructor(private readonly options: LoginOptionsService) {}

  @Public()
  @Query(() => LoginOptions, { description: 'Which login buttons the app shows on this device, in order.' })
  loginOptions(@Args() args: LoginOptionsArgs): LoginOptions {
    return this.options.optionsFor(args);
  }
}
