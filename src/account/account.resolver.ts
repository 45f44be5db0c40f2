import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Request } from 'express';
import type { HttpPair } from '../connectors/connector-verification.service';
import { Meta, RequestMeta } from '../common/request-meta';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { Public, SignedIn } from '../sessions/access.decorator';
import { bearerTokenOf } from '../sessions/bearer-token';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import { Session } from '../sessions/models/session.model';
import { AuthenticatedCaller, SessionsService } from '../sessions/sessions.service';
import { PhoneLoginInput } from './dto/phone-login.input';
import { SendSmsCodeInput, SmsPurpose } from './dto/send-sms-code.input';
import { SmsCodeSent } from './models/sms-code-sent.model';
import { User } from '../users/models/user.model';
import { PhoneLoginService } from './phone-login.service';
import { SmsCodesService } from '../sms/sms-codes.service';
import { UsersService } from '../users/users.service';
import { BindTicketsService } from '../identities/bind-tickets.service';
import { MyAccountDeletionService } from './my-account-deletion.service';
import { DeleteAccountArgs } from './dto/delete-account.args';

@Resolver(() => User)
export class AccountResolver {
  constructor(
    private readonly phoneLogin: PhoneLoginService,
    private readonly smsCodes: SmsCodesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly bindTickets: BindTicketsService,
    private readonly deletion: MyAccountDeletionService,
  ) {}

  @SignedIn()
  @Query(() => User, { description: 'The signed-in user, with the full phone number.' })
  async me(@CurrentCaller() caller: AuthenticatedCaller): Promise<User> {
    // Read with the session by the access check of this very request (no second read).
    const user = caller.user ?? (await this.users.findById(caller.userId));
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return this.users.toSelfModel(user);
  }

  @Public()
  @Mutation(() => SmsCodeSent, { description: 'Send a one-time code. DELETE_ACCOUNT needs a signed-in caller.' })
  async sendSmsCode(
    @Args('input') input: SendSmsCodeInput,
    @Meta() meta: RequestMeta,
    @Context('req') req: Request,
  ): Promise<SmsCodeSent> {
    const phone = this.phoneLogin.parsePhone(input.phone);
    const sender = { ip: meta.ip, deviceId: input.deviceId, captchaToken: input.captchaToken };
    switch (input.purpose) {
      case SmsPurpose.LOGIN:
        return this.smsCodes.send({ phone, purpose: 'LOGIN', ...sender });
      case SmsPurpose.DELETE_ACCOUNT: {
        const token = bearerTokenOf(req.headers);
        if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED);
        const caller = await this.sessions.authenticate(token);
        // Read with the session by the access check of this very request (no second read).
        const user = caller.user ?? (await this.users.findById(caller.userId));
        if (!user?.phone || user.phone !== phone)
          throw DomainError.badInput('phone', 'not the phone number of this account');
        return this.smsCodes.send({ phone, purpose: 'DELETE_ACCOUNT', ...sender, userId: user.id });
      }
      case SmsPurpose.BIND_PHONE: {
        // Only the holder of a live bind ticket (a fresh, unbound WeChat login) may ask for one.
        const ticket = await this.bindTickets.findLive(input.bindTicket);
        if (!ticket) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
        return this.smsCodes.send({ phone, purpose: 'BIND_PHONE', ...sender, bindTicketHash: ticket.ticketHash });
      }
    }
  }

  @Public()
  @Mutation(() => Session, { description: 'Log in (or sign up) with a phone number and its LOGIN code.' })
  async loginWithPhone(@Args('input') input: PhoneLoginInput, @Meta() meta: RequestMeta): Promise<Session> {
    const { tokens, user } = await this.phoneLogin.login(input, meta);
    return { ...tokens, user: this.users.toSelfModel(user) };
  }

  @SignedIn()
  @Mutation(() => Boolean, {
    description:
      'Erase the account (PIPL). Confirm with the phone’s DELETE_ACCOUNT code or a fresh proof (reauth) of a linked provider.',
  })
  async deleteMyAccount(
    @Args() { smsCode, captchaToken, reauth }: DeleteAccountArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<boolean> {
    const proof = reauth
      ? { ...reauth, provider: reauth.provider.toLowerCase() as Lowercase<typeof reauth.provider> }
      : null;
    await this.deletion.deleteMyAccount(caller, { smsCode, captchaToken, reauth: proof }, http, meta);
    return true;
  }
}
