import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';

@ArgsType()
export class StartQrLoginArgs {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceId?: string | null;
}

// Lengths are checked by the service: anything unknown, too long included, is QR_LOGIN_INVALID alike.
@ArgsType()
export class QrLoginStatusArgs {
  @Field(() => ID)
  @IsString()
  id: string;

  @Field()
  @IsString()
  pollToken: string;
}

@ArgsType()
export class QrContentArgs {
  @Field()
  @IsString()
  qrContent: string;
}
