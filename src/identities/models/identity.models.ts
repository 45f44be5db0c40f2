import { Field, ID, ObjectType } from '@nestjs/graphql';
import { IdentityProvider, WechatChannel } from '../../common/enums';
import type { IdentityEntity } from '../identity.entity';

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
