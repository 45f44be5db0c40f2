import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { maskPhone } from '../../common/mask';
import type { UserEntity } from '../user.entity';

export enum UserStatus {
  ACTIVE = 'ACTIVE',
  BANNED = 'BANNED',
  DELETED = 'DELETED',
}

registerEnumType(UserStatus, { name: 'UserStatus' });

@ObjectType()
export class User {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true, description: 'full number for the user themself; masked elsewhere' })
  phone: string | null;

  @Field(() => String, { nullable: true })
  nickname: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl: string | null;

  @Field(() => UserStatus)
  status: UserStatus;

  @Field()
  createdAt: Date;
}

/**
 * The GraphQL view of a user; `self` decides whether the phone is shown in full. `wechatLinked` and
 * `identities` are field resolvers (IdentitiesModule): they cost a query only when a client asks.
 */
export function toUserModel(entity: UserEntity, self: boolean): User {
  return {
    id: entity.id,
    phone: entity.phone ? (self ? entity.phone : maskPhone(entity.phone)) : null,
    nickname: entity.nickname,
    avatarUrl: entity.avatarUrl,
    status: entity.status.toUpperCase() as UserStatus,
    createdAt: entity.createdAt,
  };
}
