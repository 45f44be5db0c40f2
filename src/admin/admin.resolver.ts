import { Args, ArgsType, Field, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import { Meta, RequestMeta } from '../common/request-meta';
import { Roles } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { UserStatus } from '../users/models/user.model';
import { ADMIN_ROLE } from '../users/user-roles';
import { AccountLinkingService } from '../identities/account-linking.service';
import { IdentityConflict } from '../identities/models/identity.models';
import { AdminModerationService } from './admin-moderation.service';
import { AdminReportsService } from './admin-reports.service';
import { AdminUsersService } from './admin-users.service';
import { AdminUser, AdminUserPage, AuditEventPage, LoginStats, TokenRefreshStatus } from './models/admin.models';

/** Cursor paging arguments, newest first; `first` defaults differ per list (api.graphql). */
function PageArgs(defaultFirst: number) {
  @ArgsType()
  abstract class Page {
    @Field(() => Int, { nullable: true, defaultValue: defaultFirst })
    @IsOptional()
    @IsInt()
    first?: number | null;

    @Field(() => String, { nullable: true })
    @IsOptional()
    @IsString()
    @MaxLength(256)
    after?: string | null;
  }
  return Page;
}

@ArgsType()
class UsersArgs extends PageArgs(20) {
  @Field(() => String, { nullable: true, description: 'phone, nickname, user id, openid or unionid' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  search?: string | null;

  @Field(() => UserStatus, { nullable: true })
  @IsOptional()
  @IsEnum(UserStatus)
  status?: UserStatus | null;
}

@ArgsType()
class AuditArgs extends PageArgs(50) {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(36)
  userId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string | null;
}

@ArgsType()
class StatsArgs {
  @Field(() => Date, { nullable: true })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  to?: Date | null;
}

@ArgsType()
class IdArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(36)
  id: string;
}

@ArgsType()
class BanArgs extends IdArgs {
  @Field()
  @IsString()
  @MaxLength(500)
  reason: string;
}

@ArgsType()
class ConflictsArgs extends PageArgs(20) {
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'true: the resolved ones' })
  @IsOptional()
  @IsBoolean()
  resolved?: boolean | null;
}

@ArgsType()
class ResolveConflictArgs extends IdArgs {
  @Field(() => ID, { description: 'the user to keep; the other is folded into it' })
  @IsString()
  @MaxLength(36)
  keepUserId: string;
}

@ArgsType()
class UserIdArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(36)
  userId: string;
}

/** Every operation here is for admins only (the role comes from ADMIN_PHONES as it is now, on every call). */
@Roles(ADMIN_ROLE)
@Resolver()
export class AdminResolver {
  constructor(
    private readonly users: AdminUsersService,
    private readonly moderation: AdminModerationService,
    private readonly reports: AdminReportsService,
    private readonly linking: AccountLinkingService,
  ) {}

  @Query(() => AdminUserPage)
  adminUsers(@Args() args: UsersArgs): Promise<AdminUserPage> {
    return this.users.users(args.search, args.status, args.first, args.after);
  }

  @Query(() => AdminUser, { nullable: true })
  adminUser(@Args() { id }: IdArgs): Promise<AdminUser | null> {
    return this.users.user(id);
  }

  @Query(() => AuditEventPage)
  adminAuditEvents(@Args() args: AuditArgs): Promise<AuditEventPage> {
    return this.reports.auditEvents(args.userId, args.action, args.first, args.after);
  }

  @Query(() => LoginStats)
  adminLoginStats(@Args() { from, to }: StatsArgs): Promise<LoginStats> {
    return this.reports.loginStats(from, to);
  }

  @Query(() => TokenRefreshStatus)
  adminTokenRefreshStatus(): Promise<TokenRefreshStatus> {
    return this.reports.tokenRefreshStatus();
  }

  @Mutation(() => AdminUser, { description: 'Ban a user; every session of theirs ends at once.' })
  adminBanUser(
    @Args() { id, reason }: BanArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<AdminUser> {
    return this.moderation.ban(id, reason, { userId: caller.userId, ip: meta.ip });
  }

  @Mutation(() => AdminUser)
  adminUnbanUser(
    @Args() { id }: IdArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<AdminUser> {
    return this.moderation.unban(id, { userId: caller.userId, ip: meta.ip });
  }

  @Mutation(() => AdminUser)
  adminUnlinkWechat(
    @Args() { userId }: UserIdArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<AdminUser> {
    return this.moderation.unlinkWechat(userId, { userId: caller.userId, ip: meta.ip });
  }

  @Mutation(() => Int, { description: 'End every session of a user; answers how many were live.' })
  adminRevokeSessions(
    @Args() { userId }: UserIdArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<number> {
    return this.moderation.revokeSessions(userId, { userId: caller.userId, ip: meta.ip });
  }

  @Query(() => [IdentityConflict], {
    description: 'Users who turned out to be one WeChat person (a late unionid) and both had a phone or another login.',
  })
  async adminIdentityConflicts(@Args() args: ConflictsArgs): Promise<IdentityConflict[]> {
    const rows = await this.linking.listConflicts(
      Math.min(Math.max(args.first ?? 20, 1), 100),
      args.after ?? null,
      Boolean(args.resolved),
    );
    return rows.map((c) => ({
      id: c.id,
      unionid: c.unionid,
      userIds: [c.holderUserId, c.otherUserId],
      createdAt: c.createdAt,
      resolvedAt: c.resolvedAt,
    }));
  }

  @Mutation(() => AdminUser, { description: 'Keep one user of a conflict; the other is folded into it (audited).' })
  async adminResolveIdentityConflict(
    @Args() { id, keepUserId }: ResolveConflictArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<AdminUser> {
    await this.linking.resolveConflict(id, keepUserId, caller.userId, meta);
    return (await this.users.user(keepUserId))!;
  }

  @Mutation(() => TokenRefreshStatus, { description: 'Run one token refresh pass now.' })
  adminRunTokenRefresh(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<TokenRefreshStatus> {
    return this.reports.runTokenRefresh({ userId: caller.userId, ip: meta.ip });
  }
}
