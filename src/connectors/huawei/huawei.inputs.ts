import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsClientToken } from '../../common/client-token';

@InputType()
export class HuaweiLoginInput {
  @Field({ description: "Account Kit's authorization code (5 minutes, single use)" })
  @IsClientToken(2048)
  authorizationCode: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}
