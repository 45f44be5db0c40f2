import { Field, ID, ObjectType } from '@nestjs/graphql';
import { Platform } from '../../common/enums';

@ObjectType()
export class DeviceSession {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true })
  deviceId: string | null;

  @Field(() => Platform, { nullable: true })
  platform: Platform | null;

  @Field()
  createdAt: Date;

  @Field()
  lastUsedAt: Date;

  @Field({ description: 'the session making this request' })
  current: boolean;
}
