import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Session } from '../../sessions/models/session.model';

export enum QrLoginStatus {
  PENDING = 'PENDING',
  SCANNED = 'SCANNED',
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(QrLoginStatus, { name: 'QrLoginStatus' });

@ObjectType({ description: 'A QR login the page started: show qrContent as a QR code, keep pollToken to itself' })
export class QrLogin {
  @Field(() => ID)
  id: string;

  @Field({ description: 'what the QR code encodes (opaque); never enough to read the session' })
  qrContent: string;

  @Field({ description: 'only the page that started it holds this' })
  pollToken: string;

  @Field({ description: 'about 2 minutes' })
  expiresAt: Date;
}

@ObjectType({ description: "shown on the app's confirm screen: who is asking" })
export class QrLoginRequester {
  @Field(() => String, { nullable: true })
  ip: string | null;

  @Field(() => String, { nullable: true })
  userAgent: string | null;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class QrLoginState {
  @Field(() => QrLoginStatus)
  status: QrLoginStatus;

  @Field(() => Session, { nullable: true, description: 'once, to the first poll after CONFIRMED; null afterwards' })
  session: Session | null;

  @Field(() => String, {
    nullable: true,
    description: 'follow login of a new person (REQUIRE_PHONE): bind a phone with it, as after wechatLogin',
  })
  bindTicket: string | null;
}
