import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { QueryFailedError } from 'typeorm';
import { runWithRequestContext } from '../common/request-context';
import { DomainError } from '../errors/domain-error';
import { ErrorCode, errorPolicy } from '../errors/error-code';
import { formatGraphqlError } from './format-error';

const formatted = { message: 'raw', path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } };

// A resolver error as Apollo hands it over: a GraphQLError wrapping what the resolver threw.
const thrownByResolver = (error: Error): GraphQLError =>
  new GraphQLError(error.message, { originalError: error, path: ['x'] });

describe('formatGraphqlError', () => {
  // What it logs is asserted where it matters, and kept out of the test output.
  let logged: { error: jest.SpyInstance; warn: jest.SpyInstance };
  beforeEach(() => {
    logged = {
      error: jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
    };
  });
  afterEach(() => jest.restoreAllMocks());

  it('maps a domain error to its code, details and retryability', () => {
    const out = runWithRequestContext({ requestId: 'req-1' }, () =>
      formatGraphqlError(
        formatted,
        thrownByResolver(new DomainError(ErrorCode.WECHAT_RATE_LIMITED, undefined, { wechatErrcode: 45011 })),
      ),
    );
    expect(out).toEqual({
      message: errorPolicy(ErrorCode.WECHAT_RATE_LIMITED).message,
      path: ['x'],
      locations: undefined,
      extensions: { code: 'WECHAT_RATE_LIMITED', retryable: true, wechatErrcode: 45011, requestId: 'req-1' },
    });
  });

  it('turns anything unknown into INTERNAL with the request id and nothing of the original', () => {
    const secret = 'SELECT * FROM users WHERE phone = +8613800138000';
    const out = runWithRequestContext({ requestId: 'req-2' }, () =>
      formatGraphqlError(formatted, thrownByResolver(new Error(secret))),
    );
    expect(out.extensions).toEqual({ code: 'INTERNAL', requestId: 'req-2' });
    expect(out.message).toBe('Internal error (request id req-2).');
    expect(JSON.stringify(out)).not.toContain('phone');
    expect(JSON.stringify(out)).not.toContain('stacktrace');
    // The operator gets the original (the production logger masks phone numbers), with its stack.
    expect(logged.error).toHaveBeenCalledWith(`unexpected error: Error: ${secret}`, expect.stringContaining('at '));
  });

  it('answers SERVICE_UNAVAILABLE, retryable, when the database cannot be reached', () => {
    const driverError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    const error = new QueryFailedError('SELECT 1', [], driverError);
    const out = formatGraphqlError(formatted, thrownByResolver(error));
    expect(out.extensions).toEqual(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }));
    expect(out.message).not.toContain('3306');
    expect(logged.warn).toHaveBeenCalledWith(expect.stringMatching(/^database unavailable: QueryFailedError/));
    expect(logged.error).not.toHaveBeenCalled();
  });

  it('keeps only safe extensions of a GraphQLError that carries a catalogue code', () => {
    const error = new GraphQLError('too deep', { extensions: { code: 'QUERY_TOO_COMPLEX', internalDetail: 'x' } });
    expect(formatGraphqlError(formatted, error).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('gives every catalogue code a policy', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(errorPolicy(code).message.length).toBeGreaterThan(0);
    }
    expect(errorPolicy(ErrorCode.WECHAT_UNAVAILABLE).retryable).toBe(true);
    expect(errorPolicy(ErrorCode.SMS_CODE_INVALID).retryable).toBe(false);
  });
});
