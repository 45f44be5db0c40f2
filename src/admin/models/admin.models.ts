import { WechatChannel } from '../../common/enums';
import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { UserStatus } from '../../users/models/user.model';
import { LoginMethod } from '../../common/enums';

export enum GrantStatus {
  ACTIVE = 'ACTIVE',
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
  REVOKED = 'REVOKED',
}

registerEnumType(GrantStatus, { name: 'GrantStatus' });

@ObjectType()
export class AdminWechatIdentity {
  @Field()
  appId: string;

  @Field()
  openid: string;

  @Field(() => String, { nullable: true })
  unionid: string | null;

  @Field(() => WechatChannel, { nullable: true })
  channel: WechatChannel | null;

  @Field(() => String, { nullable: true })
  nickname: string | null;

  @Field(() => GrantStatus, { nullable: true })
  grantStatus: GrantStatus | null;

  @Field(() => Date, { nullable: true })
  accessExpiresAt: Date | null;

  @Field(() => Date, { nullable: true })
  refreshExpiresAt: Date | null;
}

@ObjectType()
export class AdminUser {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true, description: 'full number' })
  phone: string | null;

  @Field(() => String, { nullable: true })
  nickname: string | null;

  @Field(() => UserStatus)
  status: UserStatus;

  @Field(() => [String])
  roles: string[];

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  lastLoginAt: Date | null;

  @Field(() => [AdminWechatIdentity])
  wechatIdentities: AdminWechatIdentity[];

  @Field(() => Int)
  activeSessions: number;
}

@ObjectType()
export class AdminUserPage {
  @Field(() => [AdminUser])
  items: AdminUser[];

  @Field(() => Int)
  total: number;

  @Field(() => String, { nullable: true })
  nextCursor: string | null;
}

@ObjectType()
export class AuditEvent {
  @Field(() => ID)
  id: string;

  @Field()
  action: string;

  @Field(() => ID, { nullable: true })
  actorUserId: string | null;

  @Field(() => ID, { nullable: true })
  subjectUserId: string | null;

  @Field(() => String, { nullable: true })
  ip: string | null;

  @Field(() => String, { nullable: true, description: 'JSON, masked' })
  details: string | null;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class AuditEventPage {
  @Field(() => [AuditEvent])
  items: AuditEvent[];

  @Field(() => String, { nullable: true })
  nextCursor: string | null;
}

@ObjectType()
export class CodeCount {
  @Field()
  code: string;

  @Field(() => Int)
  count: number;
}

@ObjectType({
  description: 'Sessions one login method issued: returning logins and first logins finished at their phone step.',
})
export class LoginMethodCount {
  @Field(() => LoginMethod)
  method: LoginMethod;

  @Field(() => Int)
  count: number;
}

@ObjectType()
export class LoginStats {
  @Field(() => Int)
  wechatLogins: number;

  @Field(() => Int)
  phoneLogins: number;

  @Field(() => Int)
  newUsers: number;

  @Field(() => Int)
  bindings: number;

  @Field(() => [CodeCount])
  failuresByCode: CodeCount[];

  @Field(() => [LoginMethodCount], { description: 'Every login method, zero included, in the order of LoginMethod.' })
  loginsByMethod: LoginMethodCount[];
}

@ObjectType()
export class TokenRefreshStatus {
  @Field(() => Int)
  active: number;

  @Field(() => Int)
  dueWithinWindow: number;

  @Field(() => Int)
  reauthRequired: number;

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => Int)
  lastRunRefreshed: number;

  @Field(() => Int)
  lastRunFailed: number;
}
