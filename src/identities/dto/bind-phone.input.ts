import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class BindPhoneInput extends DeviceInput {
  @Field()
  @IsString()
  @MaxLength(128)
  bindTicket: string;

  @Field()
  @IsString()
  @MaxLength(32)
  phone: string;

  @Field()
  @IsString()
  @MaxLength(16)
  smsCode: string;

  @Field(() => String, {
    nullable: true,
    description: 'the solved captcha, when the last answer was CAPTCHA_REQUIRED (too many wrong codes from here)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  captchaToken?: string | null;
}
