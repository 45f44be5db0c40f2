import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { AuditService } from '../audit/audit.service';
import { UsersService } from '../users/users.service';
import { Public, SignedIn } from './access.decorator';
import { CurrentCaller } from './current-caller.decorator';
import { DeviceSession } from './models/device-session.model';
import { Session } from './models/session.model';
import { AuthenticatedCaller, SessionsService } from './sessions.service';
import { MaxLength } from 'class-validator';
import { ArgsType, Field, ID } from '@nestjs/graphql';

@ArgsType()
class RefreshArgs {
  @Field()
  @MaxLength(128)
  refreshToken: string;
}

@ArgsType()
class RevokeSessionArgs {
  @Field(() => ID)
  @MaxLength(36)
  id: string;
}

@Resolver()
export class SessionsResolver {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  @Public()
  @Mutation(() => Session, { description: 'Trade a refresh token for a new pair; no WeChat call.' })
  async refreshSession(@Args() { refreshToken }: RefreshArgs, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.sessions.refresh(refreshToken, meta);
    return { ...tokens, user: this.users.toSelfModel(user) };
  }

  @SignedIn()
  @Query(() => [DeviceSession])
  mySessions(@CurrentCaller() caller: AuthenticatedCaller): Promise<DeviceSession[]> {
    return this.sessions.list(caller.userId, caller.sessionId);
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'End the session making this request.' })
  async logout(@CurrentCaller() caller: AuthenticatedCaller, @Meta() meta: RequestMeta): Promise<boolean> {
    const revoked = await this.sessions.revokeOwn(caller.userId, caller.sessionId, 'logout');
    await this.audit.record({
      action: 'session.logout',
      actorUserId: caller.userId,
      subjectUserId: caller.userId,
      ip: meta.ip,
    });
    return revoked;
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'End one of your sessions (an id from mySessions).' })
  async revokeSession(
    @Args() { id }: RevokeSessionArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<boolean> {
    const revoked = await this.sessions.revokeOwn(caller.userId, id, 'revoked');
    if (revoked) {
      await this.audit.record({
        action: 'session.revoke',
        actorUserId: caller.userId,
        subjectUserId: caller.userId,
        ip: meta.ip,
        details: { sessionId: id },
      });
    }
    return revoked;
  }
}
