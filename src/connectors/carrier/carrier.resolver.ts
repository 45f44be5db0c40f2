import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../../common/request-meta';
import { toSession } from '../../identities/login-result';
import { Public } from '../../sessions/access.decorator';
import { Session } from '../../sessions/models/session.model';
import type { HttpPair } from '../connector-verification.service';
import { CarrierLoginService } from './carrier-login.service';
import { CarrierBindPhoneInput, CarrierLoginInput } from './carrier.inputs';

/** Carrier one-tap: the SIM's own number, verified by the carrier, signs in as a phone does. */
@Resolver()
export class CarrierResolver {
  constructor(private readonly carrier: CarrierLoginService) {}

  @Public()
  @Mutation(() => Session, { description: 'Carrier one-tap: log in (or sign up) with the SIM’s own number.' })
  async carrierLogin(
    @Args('input') input: CarrierLoginInput,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<Session> {
    return toSession(await this.carrier.login(input, http, meta));
  }

  @Public()
  @Mutation(() => Session, {
    description: 'Carrier one-tap as the phone step of a first login (any provider’s ticket).',
  })
  async carrierBindPhone(
    @Args('input') input: CarrierBindPhoneInput,
    @Context() http: HttpPair,
    @Meta() meta: RequestMeta,
  ): Promise<Session> {
    return toSession(await this.carrier.bindPhone(input, http, meta));
  }
}
