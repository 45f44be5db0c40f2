import { Field, ObjectType } from '@nestjs/graphql';
import { LoginMethod } from '../../common/enums';

@ObjectType()
export class LoginOptions {
  @Field({ description: 'Android: always; iOS: only when WeChat is installed' })
  showWechatButton: boolean;

  @Field({ description: 'Android without WeChat: guide the user to install it' })
  promptInstallWechat: boolean;

  @Field(() => [LoginMethod], { description: 'what to offer, in order' })
  methods: LoginMethod[];
}
