import { Args, Query, Resolver } from '@nestjs/graphql';
import { Platform } from '../common/enums';
import { Public } from '../sessions/access.decorator';
import { LoginOptionsService } from './login-options.service';
import { LoginOptions } from './models/login-options.model';

@Resolver(() => LoginOptions)
export class LoginOptionsResolver {
  constructor(private readonly options: LoginOptionsService) {}

  @Public()
  @Query(() => LoginOptions, { description: 'Which login buttons the app shows on this device.' })
  loginOptions(
    @Args('platform', { type: () => Platform }) platform: Platform,
    @Args('wechatInstalled') wechatInstalled: boolean,
  ): LoginOptions {
    return this.options.optionsFor(platform, wechatInstalled);
  }
}
