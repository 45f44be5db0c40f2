import { ErrorCode } from '../errors/error-code';
import { isProviderFailure, isTransient, ProviderUnavailableError } from '../outbound/provider-call-error';
import { toProviderDomainError } from '../providers/provider-errors';
import { toDomainError, WechatApiError, WechatNotSentError, WechatUnavailableError } from './wechat-errors';

// WeChat's errors are members of the one outbound family, translated to the contract's WECHAT_* codes here.

it.each([
  [40029, ErrorCode.WECHAT_CODE_INVALID],
  [40163, ErrorCode.WECHAT_CODE_INVALID],
  [42002, ErrorCode.REAUTH_REQUIRED],
  [40001, ErrorCode.REAUTH_REQUIRED],
  [45011, ErrorCode.WECHAT_RATE_LIMITED],
  [40013, ErrorCode.WECHAT_CONFIG_ERROR],
  [40226, ErrorCode.FORBIDDEN],
  [-1, ErrorCode.WECHAT_UNAVAILABLE],
  [99999, ErrorCode.WECHAT_UNAVAILABLE],
])('errcode %i answers %s with the errcode in the details', (errcode, code) => {
  const error = toDomainError(new WechatApiError(errcode));
  expect([error.code, error.details]).toEqual([code, { wechatErrcode: errcode }]);
});

it('unavailable, bad input and local failures answer WECHAT_UNAVAILABLE, WECHAT_CODE_INVALID and INTERNAL', () => {
  expect(toDomainError(new WechatUnavailableError('http', 502)).code).toBe(ErrorCode.WECHAT_UNAVAILABLE);
  expect(toDomainError(new WechatUnavailableError('circuit-open')).code).toBe(ErrorCode.WECHAT_UNAVAILABLE);
  expect(toDomainError(new WechatNotSentError('bad-input')).code).toBe(ErrorCode.WECHAT_CODE_INVALID);
  expect(toDomainError(new WechatNotSentError('local', 'URIError')).code).toBe(ErrorCode.INTERNAL);
});

it('only WeChat failing counts against its breaker: -1 and transport failures, never a refused code', () => {
  expect([-1, 40029, 40013, 45009].map((errcode) => isProviderFailure(new WechatApiError(errcode)))).toEqual([
    true,
    false,
    false,
    false,
  ]);
  expect(isProviderFailure(new WechatUnavailableError('timeout'))).toBe(true);
  expect(isProviderFailure(new WechatUnavailableError('circuit-open'))).toBe(false);
  expect(isProviderFailure(new WechatNotSentError('local'))).toBe(false);
  expect(isTransient(new WechatUnavailableError('budget'))).toBe(false);
  expect(isTransient(new WechatApiError(-1))).toBe(true);
});

it('keeps its messages and names, and each side translates only its own providers', () => {
  expect(new WechatUnavailableError('http', 503)).toMatchObject({
    name: 'WechatUnavailableError',
    message: 'WeChat unavailable: http 503',
    reason: 'http',
    status: 503,
  });
  expect(new WechatNotSentError('bad-input')).toMatchObject({ kind: 'bad-input', notSent: true });
  expect(() => toDomainError(new ProviderUnavailableError('apple', 'http'))).toThrow('apple unavailable');
  expect(() => toProviderDomainError(new WechatApiError(40029))).toThrow('WeChat errcode 40029');
});
