import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';
import { IdentityProvider } from '../../common/enums';

/** A fresh proof from a provider linked to the caller: the same inputs as that provider's login. */
@InputType({ description: 'A fresh sign-in proof from a provider linked to the caller (deleteMyAccount).' })
export class ReauthInput {
  @Field(() => IdentityProvider)
  @IsEnum(IdentityProvider)
  provider: IdentityProvider;

  @Field(() => String, {
    nullable: true,
    description: 'WeChat (with state from startWechatLogin while signed in; none for a mini program) or QQ web code',
  })
  @IsOptional()
  @IsClientToken(256)
  code?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  state?: string | null;

  @Field(() => String, { nullable: true, description: 'QQ mobile' })
  @IsOptional()
  @IsClientToken(512)
  accessToken?: string | null;

  @Field(() => String, { nullable: true, description: 'Apple (with authorizationCode and nonce)' })
  @IsOptional()
  @IsClientToken(4096)
  identityToken?: string | null;

  @Field(() => String, { nullable: true, description: 'Apple, Huawei' })
  @IsOptional()
  @IsClientToken(2048)
  authorizationCode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  nonce?: string | null;

  @Field(() => String, { nullable: true, description: 'Alipay' })
  @IsOptional()
  @IsClientToken(128)
  authCode?: string | null;
}
