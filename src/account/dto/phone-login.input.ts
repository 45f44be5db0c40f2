import { CaptchaTokenField } from '../../captcha/captcha-token.field';
import { Field, InputType } from '@nestjs/graphql';
import { IsString, MaxLength } from 'class-validator';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class PhoneLoginInput extends DeviceInput {
  @Field()
  @IsString()
  @MaxLength(32)
  phone: string;

  @Field()
  @IsString()
  @MaxLength(16)
  smsCode: string;

  @CaptchaTokenField()
  captchaToken?: string | null;
}
