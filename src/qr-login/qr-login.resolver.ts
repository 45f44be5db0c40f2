import { BeforeApplicationShutdown } from '@nestjs/common';
import { Args, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { Public, SignedIn } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { QrContentArgs, QrLoginStatusArgs, StartQrLoginArgs } from './dto/qr-login.args';
import { QrLogin, QrLoginRequester, QrLoginState, QrLoginStatus } from './models/qr-login.models';
import { statusOf } from './qr-login-codes';
import { QrStatusStream } from './qr-login-stream';
import { QrLoginService } from './qr-login.service';
import { Clock } from '../common/clock';
import { ReadinessState } from '../health/readiness.service';

@Resolver()
export class QrLoginResolver implements BeforeApplicationShutdown {
  private readonly streamIntervalMs: number;
  // This instance's open streams, only so that a shutdown ends them (their pages reconnect elsewhere).
  private readonly streams = new Set<QrStatusStream>();

  constructor(
    private readonly qrLogins: QrLoginService,
    private readonly users: UsersService,
    private readonly clock: Clock,
    private readonly readiness: ReadinessState,
    config: AppConfig,
  ) {
    this.streamIntervalMs = config.get('qrLogin').streamIntervalMs;
  }

  @Public()
  @Mutation(() => QrLogin, { description: 'The web page: a QR code to show, and a poll token to keep to itself.' })
  startQrLogin(@Args() { deviceId }: StartQrLoginArgs, @Meta() meta: RequestMeta): Promise<QrLogin> {
    return this.qrLogins.start(deviceId ?? null, meta);
  }

  @Public()
  @Query(() => QrLoginState, {
    description: 'The page polls this; the first answer after CONFIRMED carries the session, later ones do not.',
  })
  async qrLoginStatus(@Args() { id, pollToken }: QrLoginStatusArgs, @Meta() meta: RequestMeta): Promise<QrLoginState> {
    const { status, signedIn, bindTicket } = await this.qrLogins.state(id, pollToken, meta);
    const session = signedIn ? { ...signedIn.tokens, user: this.users.toSelfModel(signedIn.user) } : null;
    return { status, session, bindTicket };
  }

  // Served over SSE at /graphql/stream (graphql-sse). It never carries the session: on CONFIRMED the
  // page collects it with the qrLoginStatus query, so the one hand-out has one path.
  @Public()
  @Subscription(() => QrLoginStatus, {
    name: 'qrLoginStatus',
    description: 'Each status change of a QR login, until CONFIRMED, CANCELLED or EXPIRED (over SSE).',
    // POST /graphql runs a subscription as a plain operation, without a stream: no status to resolve.
    resolve: (status: QrLoginStatus | undefined) => {
      if (!status) throw DomainError.badInput('subscription', 'subscriptions are served over SSE at /graphql/stream');
      return status;
    },
  })
  async qrLoginStatusChanges(@Args() { id, pollToken }: QrLoginStatusArgs): Promise<QrStatusStream> {
    // Checked before the stream opens: a wrong id or pollToken is an error, not an empty stream.
    await this.qrLogins.owned(id, pollToken);
    const read = async () => statusOf(await this.qrLogins.owned(id, pollToken), this.clock.nowMs());
    // A draining instance ends its streams at their next tick, so that its listener can close; the
    // page's SSE client reconnects to another instance.
    const stream: QrStatusStream = new QrStatusStream(
      read,
      this.streamIntervalMs,
      () => this.streams.delete(stream),
      () => this.readiness.shuttingDown,
    );
    this.streams.add(stream);
    return stream;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.streams].map((stream) => stream.return()));
  }

  @SignedIn()
  @Mutation(() => QrLoginRequester, { description: "The app scanned the page's code: PENDING -> SCANNED." })
  scanQrLogin(
    @Args() { qrContent }: QrContentArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<QrLoginRequester> {
    return this.qrLogins.scan(qrContent, caller, meta);
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'The user who scanned it says yes: SCANNED -> CONFIRMED.' })
  confirmQrLogin(
    @Args() { qrContent }: QrContentArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<boolean> {
    return this.qrLogins.confirm(qrContent, caller, meta);
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'The user who scanned it says no: SCANNED -> CANCELLED.' })
  cancelQrLogin(
    @Args() { qrContent }: QrContentArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<boolean> {
    return this.qrLogins.cancel(qrContent, caller, meta);
  }
}
