import { Field, ObjectType } from '@nestjs/graphql';
import { LoginMethod, WechatChannel } from '../../common/enums';

@ObjectType()
export class LoginOptions {
  @Field({ description: 'Android: always; iOS and HarmonyOS: only when WeChat is installed' })
  showWechatButton: boolean;

  @Field({ description: 'Android without WeChat: guide the user to install it' })
  promptInstallWechat: boolean;

  @Field(() => [LoginMethod], { description: 'what to offer, in order' })
  methods: LoginMethod[];

  @Field(() => WechatChannel, { nullable: true, description: 'which WeChat flow to run, when WECHAT is offered' })
  wechatChannel: WechatChannel | null;
}
