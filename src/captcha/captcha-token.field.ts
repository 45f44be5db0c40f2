import { applyDecorators } from '@nestjs/common';
import { Field } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The optional `captchaToken` of the inputs that check an SMS code (past a verification budget). */
export function CaptchaTokenField(): PropertyDecorator {
  return applyDecorators(
    Field(() => String, {
      nullable: true,
      description: 'the solved captcha, when the last answer was CAPTCHA_REQUIRED (too many wrong codes from here)',
    }),
    IsOptional(),
    IsString(),
    MaxLength(4096),
  );
}
