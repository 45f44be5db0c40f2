import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';

@InputType()
export class AppleLoginInput {
  @Field({ description: 'the identity token (a JWT) from ASAuthorizationAppleIDCredential' })
  @IsClientToken(4096)
  identityToken: string;

  @Field({ description: 'the single-use authorization code (5 minutes)' })
  @IsClientToken(1024)
  authorizationCode: string;

  @Field(() => String, { nullable: true, description: 'the raw nonce; its SHA-256 must match the token’s nonce claim' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  nonce?: string | null;

  @Field(() => String, { nullable: true, description: 'Apple gives it to the app only on the first authorization' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  fullName?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
