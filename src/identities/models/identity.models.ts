import { Field, ID, ObjectType } from '@nestjs/graphql';
import { IdentityProvider, WechatChannel } from '../../common/enums';
import type { IdentityEntity } from '../identity.entity';
import { Session } from '../../sessions/models/session.model';

@ObjectType({ description: 'A way the user can log in, other than their phone.' })
export class LinkedIdentity {
  @Field(() => IdentityProvider)
  provider: IdentityProvider;

  @Field(() => WechatChannel, { nullable: true, description: 'WeChat only' })
  channel: WechatChannel | null;

  @Field(() => String, { nullable: true })
  appId: string | null;

  @Field()
  createdAt: Date;
}

export function toLinkedIdentity(entity: IdentityEntity): LinkedIdentity {
  return {
    provider: entity.provider.toUpperCase() as IdentityProvider,
    channel: entity.channel ? (entity.channel.toUpperCase() as WechatChannel) : null,
    appId: entity.appId,
    createdAt: entity.createdAt,
  };
}

@ObjectType()
export class IdentityConflict {
  @Field(() => ID)
  id: string;

  @Field()
  unionid: string;

  @Field(() => [ID], { description: 'the unionid holder first (logins go there), then the other user' })
  userIds: string[];

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt: Date | null;
}

@ObjectType({ description: 'Apple, Huawei: the same isBind rule as WeChat.' })
export class LoginResult {
  @Field()
  isBind: boolean;

  @Field(() => Session, { nullable: true, description: 'set when isBind' })
  session: Session | null;

  @Field(() => String, { nullable: true, description: 'set when not isBind: pass it to sendSmsCode and bindPhone' })
  bindTicket: string | null;

  @Field(() => Date, { nullable: true })
  bindTicketExpiresAt: Date | null;
}
