import { Field, InputType, PickType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class WechatLoginInput extends DeviceInput {
  @Field({ description: 'the one-time code from the WeChat SDK (SendAuth.Resp)' })
  @IsClientToken(256)
  code: string;

  @Field(() => String, { nullable: true, description: 'the state from startWechatLogin' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  state?: string | null;

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
export class LinkWechatInput extends PickType(
  WechatLoginInput,
  ['code', 'state', 'deviceId', 'appId'] as const,
  InputType,
) {}

@InputType()
export class MiniProgramLoginInput {
  @Field({ description: 'the js code from wx.login()' })
  @IsClientToken(256)
  code: string;

  @Field(() => String, { nullable: true, description: 'which configured mini program (default: the first)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  appId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}

@InputType()
export class MiniProgramBindPhoneInput {
  @Field()
  @IsString()
  @MaxLength(128)
  bindTicket: string;

  @Field({ description: "the one-time code of the phone button (getPhoneNumber's e.detail.code)" })
  @IsClientToken(256)
  phoneCode: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
