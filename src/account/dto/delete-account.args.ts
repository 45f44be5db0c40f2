import { ArgsType, Field } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { CaptchaTokenField } from '../../captcha/captcha-token.field';
import { ReauthInput } from './reauth.input';

@ArgsType()
export class DeleteAccountArgs {
  @Field(() => String, { nullable: true, description: 'the DELETE_ACCOUNT code sent to the account’s phone' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  smsCode?: string | null;

  @Field(() => ReauthInput, {
    nullable: true,
    description: 'or a fresh proof from a provider linked to the account (users without a phone)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReauthInput)
  reauth?: ReauthInput | null;

  @CaptchaTokenField()
  captchaToken?: string | null;
}
