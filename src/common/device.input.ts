import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Platform } from './enums';

/** The device fields every login input carries: they label the session and bind states and codes. */
@InputType({ isAbstract: true })
export abstract class DeviceInput {
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
