import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { toSession } from '../identities/login-result';
import { Public } from '../sessions/access.decorator';
import { Session } from '../sessions/models/session.model';
import { CarrierLoginService } from './carrier/carrier-login.service';
import { CarrierBindPhoneInput, CarrierLoginInput } from './dto/provider-login.inputs';

/** Carrier one-tap: the SIM's own number, verified by the carrier, signs in through the phone path. */
@Resolver()
export class ProviderLoginsResolver {
  constructor(private readonly carrier: CarrierLoginService) {}

  @Public()
  @Mutation(() => Session, { description: 'Carrier one-tap: log in (or sign up) with the SIM’s own number.' })
  async carrierLogin(@Args('input') input: CarrierLoginInput, @Meta() meta: RequestMeta): Promise<Session> {
    return toSession(await this.carrier.login(input, meta));
  }

  @Public()
  @Mutation(() => Session, {
    description: 'Carrier one-tap as the phone step of a first login (any provider’s ticket).',
  })
  async carrierBindPhone(@Args('input') input: CarrierBindPhoneInput, @Meta() meta: RequestMeta): Promise<Session> {
    return toSession(await this.carrier.bindPhone(input, meta));
  }
}
