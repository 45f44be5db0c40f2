import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Platform } from '../../common/enums';

@InputType()
export class BindPhoneInput {
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

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;

  @Field(() => Platform, { nullable: true })
  @IsOptional()
  @IsEnum(Platform)
  platform?: Platform | null;
}
