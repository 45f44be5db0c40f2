import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: "follow the official account to log in: the page shows WeChat's QR code" })
export class FollowLogin {
  @Field(() => ID)
  id: string;

  @Field({ description: 'only the page that started it holds this; status through qrLoginStatus' })
  pollToken: string;

  @Field({ description: 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=<ticket>' })
  qrUrl: string;

  @Field()
  expiresAt: Date;
}
