import { Query, Resolver } from '@nestjs/graphql';
import { ErrorCode } from '../errors/error-code';
import { Public } from '../sessions/access.decorator';

/** Puts the `ErrorCode` enum into the schema, so that client code generators emit it as a type. */
@Resolver()
export class ErrorCodesResolver {
  @Public()
  @Query(() => [ErrorCode], {
    description:
      'Every value extensions.code can take on an error from this server (the ErrorCode enum), so that ' +
      'generated clients get it as a type.',
  })
  errorCodes(): ErrorCode[] {
    return Object.values(ErrorCode);
  }
}
