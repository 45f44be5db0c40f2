import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Platform } from '../../common/enums';

@InputType()
export class WechatLoginInput {
  @Field({ description: 'the one-time code from the WeChat SDK (SendAuth.Resp)' })
  @IsString()
  @MaxLength(256)
  code: string;

  @Field(() => String, { nullable: true, description: 'the state from startWechatLogin' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  state?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;

  @Field(() => Platform, { nullable: true })
  @IsOptional()
  @IsEnum(Platform)
  platform?: Platform | null;

  @Field(() => String, {
    nullable: true,
    description: 'which configured WeChat app issued the code (default: the first)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  appId?: string | null;
}

@InputType()
export class LinkWechatInput {
  @Field()
  @IsString()
  @MaxLength(256)
  code: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  state?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  appId?: string | null;
}
