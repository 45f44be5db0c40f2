import type { CaptchaChallenge } from '../captcha/captcha-verifier';
import { ErrorCode, errorPolicy } from './error-code';

export interface DomainErrorDetails {
  /** The input field at fault, for BAD_USER_INPUT. */
  field?: string;
  /** WeChat's errcode where WeChat said no. */
  wechatErrcode?: number;
  /** When to try again, for rate limits. */
  retryAfterSeconds?: number;
  /** What the client needs to show the captcha, for CAPTCHA_REQUIRED. */
  captcha?: CaptchaChallenge;
  /** Overrides the code's policy (e.g. SERVICE_UNAVAILABLE after an SMS code was spent: not retryable). */
  retryable?: boolean;
}

/**
 * The one error type services throw. Its message is shown to the caller, so it never carries a
 * secret, a token, a code, a full phone number or an upstream body.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message ?? errorPolicy(code).message);
    this.name = 'DomainError';
  }

  static badInput(field: string, message: string): DomainError {
    return new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
  }
}
