import { Field, ObjectType } from '@nestjs/graphql';
import { Session } from '../../sessions/models/session.model';

@ObjectType()
export class WechatAuthRequest {
  @Field()
  appId: string;

  @Field({ description: '"snsapi_userinfo" (app, official account) or "snsapi_login" (website)' })
  scope: string;

  @Field({ description: 'one-time, 10 minutes, bound to the device: pass it to SendAuth.Req and back to wechatLogin' })
  state: string;

  @Field()
  expiresAt: Date;

  @Field(() => String, { nullable: true, description: 'OFFICIAL_ACCOUNT and WEBSITE: send the browser here' })
  authorizeUrl: string | null;
}

@ObjectType()
export class WechatProfile {
  @Field()
  openid: string;

  @Field(() => String, { nullable: true })
  unionid: string | null;

  @Field(() => String, { nullable: true })
  nickname: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl: string | null;
}

@ObjectType()
export class WechatLoginResult {
  @Field()
  isBind: boolean;

  @Field(() => Session, { nullable: true, description: 'set when isBind' })
  session: Session | null;

  @Field(() => String, { nullable: true, description: 'set when not isBind: pass it to sendSmsCode and bindPhone' })
  bindTicket: string | null;

  @Field(() => Date, { nullable: true })
  bindTicketExpiresAt: Date | null;

  @Field(() => WechatProfile)
  wechatProfile: WechatProfile;
}
