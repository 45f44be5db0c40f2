import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';

@InputType({ description: 'QQ: accessToken from the QQ SDK (phones), or code and state from the web redirect' })
export class QqLoginInput {
  @Field(() => String, {
    nullable: true,
    description: "the QQ mobile SDK's access_token (its openid is not needed: the server asks QQ)",
  })
  @IsOptional()
  @IsClientToken(512)
  accessToken?: string | null;

  @Field(() => String, { nullable: true, description: "the web redirect's code, with its state" })
  @IsOptional()
  @IsClientToken(512)
  code?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'the state from startProviderLogin(provider: QQ), with the code',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  state?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'with a code: the redirectUri given to startProviderLogin (QQ checks it again when redeeming the code)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string | null;

  @Field(() => String, { nullable: true, description: 'required with a code: the one given to startProviderLogin' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
