import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';

@InputType()
export class AlipayLoginInput {
  @Field({
    description: 'the auth_code from the Alipay app SDK (授权登录) or my.getAuthCode (single use, valid a few minutes)',
  })
  @IsClientToken(128)
  authCode: string;

  @Field(() => String, {
    nullable: true,
    description: 'the Alipay app (APPID) the code was issued to, when the server has several; the first by default',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,32}$/, { message: 'appId must be an Alipay APPID (digits)' })
  appId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
