import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';
import { DeviceInput } from '../../common/device.input';

@InputType()
export class CarrierLoginInput extends DeviceInput {
  @Field({ description: "the carrier SDK's one-time token, after the user confirmed the masked number" })
  @IsClientToken(2048)
  token: string;
}

@InputType()
export class CarrierBindPhoneInput {
  @Field()
  @IsString()
  @MaxLength(128)
  bindTicket: string;

  @Field()
  @IsClientToken(2048)
  token: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
