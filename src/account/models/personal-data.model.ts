import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One thing this service holds about the caller, and the third parties that received it.' })
export class PersonalDataItem {
  @Field({ description: 'phone, profile, identity, device, session, login, account, consent (docs/personal-data.md)' })
  category: string;

  @Field()
  value: string;

  @Field(() => [String], {
    description: 'WeChat, Apple, Huawei, QQ, Alipay, carrier, SMS vendor: who received it, from what actually happened',
  })
  sharedWith: string[];
}

@ObjectType({ description: 'What this service holds about the caller, and which third party got what.' })
export class PersonalData {
  @Field(() => [PersonalDataItem])
  items: PersonalDataItem[];

  @Field()
  generatedAt: Date;
}
