import { Field, InputType, registerEnumType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';

export enum SmsPurpose {
  LOGIN = 'LOGIN',
  BIND_PHONE = 'BIND_PHONE',
  DELETE_ACCOUNT = 'DELETE_ACCOUNT',
}

registerEnumType(SmsPurpose, { name: 'SmsPurpose' });

@InputType()
export class SendSmsCodeInput {
  @Field()
  @IsString()
  @MaxLength(32)
  phone: string;

  @Field(() => SmsPurpose)
  @IsEnum(SmsPurpose)
  purpose: SmsPurpose;

  @Field(() => String, { nullable: true, description: 'required with BIND_PHONE' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  bindTicket?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'the solved captcha, when the last answer was CAPTCHA_REQUIRED; it buys one send',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  captchaToken?: string | null;

  @Field(() => String, { nullable: true, description: 'the app installation, for the per-device budget' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
