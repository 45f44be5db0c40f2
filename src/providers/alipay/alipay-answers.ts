import { Logger } from '@nestjs/common';
import { classifyFetchError, outcomeOf } from '../provider-calls';
import { ProviderRejectedError, ProviderUnavailableError } from '../provider-errors';

// Alipay's error table, and what the SDK's failures mean. Nothing here ever reads or logs the
// SDK's error message: on a failed signature it quotes the answer, tokens included.

const logger = new Logger('AlipayClient');

/** A failure the (verified) answer itself showed: a business error, or data we cannot use. */
export class AlipayAnswerError extends Error {
  constructor(
    readonly kind: 'error' | 'malformed',
    readonly subCode = '',
  ) {
    super(`alipay answer: ${kind}`);
  }
}

// The user's auth code is no good: invalid, used, expired, or issued to another app. Alipay answers
// all of these as isv.code-invalid today; the others are older spellings seen in its SDKs.
const CODE_ERRORS = new Set(['isv.code-invalid', 'isv.auth-code-invalid', 'isv.auth-code-expired', 'isv.code-expired']);

/** The sub_code of an error answer → rejected (the user's code) or unavailable (Alipay, or our setup). */
export function bySubCode(subCode: string, report: (outcome: string) => void): Error {
  report(`code_${subCode || 'none'}`);
  if (CODE_ERRORS.has(subCode)) return new ProviderRejectedError('alipay', subCode, 'code-invalid');
  if (subCode.startsWith('isp.')) return new ProviderUnavailableError('alipay', 'http', subCode);
  if (/limit|frequen/i.test(subCode)) return new ProviderUnavailableError('alipay', 'throttled', subCode);
  // isv.invalid-signature, isv.invalid-app-id, isv.insufficient-isv-permissions, ...: ours to fix.
  logger.error(`Alipay refused our call (${subCode || 'no sub_code'}): check the app id, keys and signed products`);
  return new ProviderUnavailableError('alipay', 'refused', subCode);
}

/**
 * What an exec() failure means. The SDK throws AlipayRequestError for an HTTP status other than
 * 200, a body that is not JSON, a transport failure (with `cause`), and an answer whose signature
 * does not verify (with `responseDataRaw`). The SDK cannot verify `error_response` envelopes (it
 * looks for the method's own key), so those arrive as signature failures too: an error answer is
 * taken unverified, since it can only ever refuse; a success answer must verify.
 */
export function classifyAlipayFailure(
  error: unknown,
  report: (outcome: string) => void,
  responseKey: string | null = null,
): Error {
  if (error instanceof AlipayAnswerError) {
    if (error.kind === 'error') return bySubCode(error.subCode, report);
    report('malformed');
    return new ProviderUnavailableError('alipay', 'malformed');
  }
  const failure = error as { message?: unknown; responseDataRaw?: unknown; cause?: unknown };
  const status = /status: (\d{3})\b/.exec(String(failure?.message ?? ''))?.[1];
  if (status && !String(failure.message).includes('验签')) {
    report(`http_${status}`);
    return new ProviderUnavailableError('alipay', status === '429' ? 'throttled' : 'http', status);
  }
  if (typeof failure?.responseDataRaw === 'string') {
    const answer = parse(failure.responseDataRaw);
    const errorResponse = answer?.error_response as { sub_code?: unknown } | undefined;
    if (errorResponse && !(responseKey && answer?.[responseKey])) {
      return bySubCode(typeof errorResponse.sub_code === 'string' ? errorResponse.sub_code : '', report);
    }
    if (answer && responseKey && answer[responseKey]) {
      report('bad_signature');
      logger.error('an Alipay answer failed its signature check: check the Alipay public key (or the path to Alipay)');
      return new ProviderUnavailableError('alipay', 'malformed', 'signature');
    }
    report('malformed');
    return new ProviderUnavailableError('alipay', 'malformed');
  }
  const cause = failure?.cause as { name?: string; code?: string } | undefined;
  if (cause) {
    if (/timeout/i.test(cause.name ?? '') || /TIMEOUT/.test(cause.code ?? '')) {
      report('timeout');
      return new ProviderUnavailableError('alipay', 'timeout');
    }
    if (cause.name === 'SyntaxError') {
      report('malformed');
      return new ProviderUnavailableError('alipay', 'malformed');
    }
    const unavailable = classifyFetchError('alipay', cause);
    report(outcomeOf(unavailable));
    return unavailable;
  }
  report('malformed');
  return new ProviderUnavailableError('alipay', 'malformed');
}

function parse(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
