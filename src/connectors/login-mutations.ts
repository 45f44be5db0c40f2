import { Type } from '@nestjs/common';
import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { LoginResult } from '../identities/models/identity.models';
import { Public, SignedIn } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { toUserModel, User } from '../users/models/user.model';
import { ConnectorLoginService } from './connector-login.service';
import type { CodeRequest, HttpPair } from './connector-verification.service';
import { toLoginResult } from '../identities/login-result';

export interface LoginMutationNames {
  /** The connector's id (its class's static `id`). */
  connector: string;
  /** The GraphQL input type both mutations take. */
  input: Type<CodeRequest>;
  login: { name: string; description: string };
  link: { name: string; description: string };
}

/**
 * A connector's two mutations, `<provider>Login` (public: a session or a bind ticket) and
 * `link<Provider>` (signed in), each a thin entry into ConnectorLoginService.
 */
export function LoginMutations({ connector, input, login, link }: LoginMutationNames): Type<unknown> {
  @Resolver()
  class ConnectorMutations {
    constructor(readonly logins: ConnectorLoginService) {}

    @Public()
    @Mutation(() => LoginResult, login)
    async login(
      @Args('input', { type: () => input }) args: CodeRequest,
      @Context() http: HttpPair,
      @Meta() meta: RequestMeta,
    ): Promise<LoginResult> {
      return toLoginResult(await this.logins.login(connector, args, http, meta));
    }

    @SignedIn()
    @Mutation(() => User, link)
    async link(
      @Args('input', { type: () => input }) args: CodeRequest,
      @CurrentCaller() caller: AuthenticatedCaller,
      @Context() http: HttpPair,
      @Meta() meta: RequestMeta,
    ): Promise<User> {
      return toUserModel(await this.logins.link(connector, args, caller.userId, http, meta), true);
    }
  }
  // The global ValidationPipe validates an argument by its design type, which a factory cannot declare:
  // name the input class, so that its class-validator rules hold as for a hand-written resolver.
  for (const method of ['login', 'link'] as const) {
    const types = Reflect.getMetadata('design:paramtypes', ConnectorMutations.prototype, method) as unknown[];
    Reflect.defineMetadata('design:paramtypes', [input, ...types.slice(1)], ConnectorMutations.prototype, method);
  }
  Object.defineProperty(ConnectorMutations, 'name', { value: `${connector}LoginMutations` });
  return ConnectorMutations;
}
