import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class SmsCodeSent {
  @Field({ description: 'masked' })
  phone: string;

  @Field()
  expiresAt: Date;

  @Field()
  resendAfter: Date;
}
