import { ExecutionContext, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../errors/domain-error';
import { Public, Roles } from './access.decorator';
import { AccessGuard } from './access.guard';
import { SessionsService } from './sessions.service';

class Handlers {
  undeclared(): void {}

  @Public()
  open(): void {}

  @Roles('admin')
  adminOnly(): void {}
}

function contextFor(method: keyof Handlers, headers: Record<string, string> = {}): ExecutionContext {
  const req = { headers };
  return {
    getHandler: () => Handlers.prototype[method],
    getClass: () => Handlers,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

describe('AccessGuard', () => {
  const authenticate = jest.fn();
  const guard = new AccessGuard(new Reflector(), { authenticate } as unknown as SessionsService);

  // The refusal of an undeclared handler is logged as an error: asserted, and kept out of the output.
  let loggedError: jest.SpyInstance;
  beforeEach(() => {
    authenticate.mockReset();
    loggedError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
    try {
      await promise;
      return undefined;
    } catch (error) {
      return error instanceof DomainError ? error.code : 'other';
    }
  }

  it('refuses a handler that declares no access rule, without looking at the caller', async () => {
    expect(await codeOf(guard.canActivate(contextFor('undeclared', { authorization: 'Bearer x' })))).toBe('FORBIDDEN');
    expect(authenticate).not.toHaveBeenCalled();
    expect(loggedError).toHaveBeenCalledWith('Handlers.undeclared declares no access rule; refused');
  });

  it('lets anyone call a public handler', async () => {
    await expect(guard.canActivate(contextFor('open'))).resolves.toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('needs a bearer token and the role for a role handler', async () => {
    expect(await codeOf(guard.canActivate(contextFor('adminOnly')))).toBe('UNAUTHENTICATED');
    authenticate.mockResolvedValueOnce({ userId: 'u', sessionId: 's', roles: [] });
    expect(await codeOf(guard.canActivate(contextFor('adminOnly', { authorization: 'Bearer token' })))).toBe(
      'FORBIDDEN',
    );
    authenticate.mockResolvedValueOnce({ userId: 'u', sessionId: 's', roles: ['admin'] });
    await expect(guard.canActivate(contextFor('adminOnly', { authorization: 'Bearer token' }))).resolves.toBe(true);
    expect(authenticate).toHaveBeenLastCalledWith('token');
  });
});
