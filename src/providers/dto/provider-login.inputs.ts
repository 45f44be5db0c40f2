import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class AppleLoginInput {
  @Field({ description: 'the identity token (a JWT) from ASAuthorizationAppleIDCredential' })
  @IsString()
  @MaxLength(4096)
  identityToken: string;

  @Field({ description: 'the single-use authorization code (5 minutes)' })
  @IsString()
  @MaxLength(1024)
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

@InputType()
export class HuaweiLoginInput {
  @Field({ description: "Account Kit's authorization code (5 minutes, single use)" })
  @IsString()
  @MaxLength(2048)
  authorizationCode: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}

@InputType()
export class CarrierLoginInput extends DeviceInput {
  @Field({ description: "the carrier SDK's one-time token, after the user confirmed the masked number" })
  @IsString()
  @MaxLength(2048)
  token: string;
}

@InputType()
export class CarrierBindPhoneInput {
  @Field()
  @IsString()
  @MaxLength(128)
  bindTicket: string;

  @Field()
  @IsString()
  @MaxLength(2048)
  token: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
