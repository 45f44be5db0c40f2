import { Field, InputType, PickType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class WechatLoginInput extends DeviceInput {
  @Field({ description: 'the one-time code from the WeChat SDK (SendAuth.Resp)' })
  @IsString()
  @MaxLength(256)
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
