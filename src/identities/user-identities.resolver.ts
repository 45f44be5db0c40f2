import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { User } from '../users/models/user.model';
import { IdentitiesService } from './identities.service';
import { LinkedIdentity, toLinkedIdentity } from './models/identity.models';

/** User's identity fields, resolved only when a client selects them. */
@Resolver(() => User)
export class UserIdentitiesResolver {
  constructor(private readonly store: IdentitiesService) {}

  @ResolveField(() => Boolean)
  async wechatLinked(@Parent() user: User): Promise<boolean> {
    return (await this.store.forUser(user.id)).some((i) => i.provider === 'wechat');
  }

  @ResolveField(() => [LinkedIdentity], { description: 'what the user can log in with, besides the phone' })
  async identities(@Parent() user: User): Promise<LinkedIdentity[]> {
    return (await this.store.forUser(user.id)).map(toLinkedIdentity);
  }
}
