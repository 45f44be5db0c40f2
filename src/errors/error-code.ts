import { registerEnumType } from '@nestjs/graphql';

/** The catalogue of `extensions.code` values (api.graphql `ErrorCode`). */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  USER_BANNED = 'USER_BANNED',
  STATE_INVALID = 'STATE_INVALID',
  WECHAT_CODE_INVALID = 'WECHAT_CODE_INVALID',
  WECHAT_UNAVAILABLE = 'WECHAT_UNAVAILABLE',
  WECHAT_RATE_LIMITED = 'WECHAT_RATE_LIMITED',
  WECHAT_CONFIG_ERROR = 'WECHAT_CONFIG_ERROR',
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
  BIND_TICKET_INVALID = 'BIND_TICKET_INVALID',
  SMS_CODE_INVALID = 'SMS_CODE_INVALID',
  SMS_CODE_LOCKED = 'SMS_CODE_LOCKED',
  SMS_RATE_LIMITED = 'SMS_RATE_LIMITED',
  PHONE_NOT_ALLOWED = 'PHONE_NOT_ALLOWED',
  PHONE_ALREADY_BOUND = 'PHONE_ALREADY_BOUND',
  WECHAT_ALREADY_BOUND = 'WECHAT_ALREADY_BOUND',
  LAST_LOGIN_METHOD = 'LAST_LOGIN_METHOD',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  // part 2
  REDIRECT_URI_NOT_ALLOWED = 'REDIRECT_URI_NOT_ALLOWED',
  PROVIDER_NOT_CONFIGURED = 'PROVIDER_NOT_CONFIGURED',
  PROVIDER_TOKEN_INVALID = 'PROVIDER_TOKEN_INVALID',
  PROVIDER_UNAVAILABLE = 'PROVIDER_UNAVAILABLE',
  CARRIER_TOKEN_INVALID = 'CARRIER_TOKEN_INVALID',
  PHONE_QUOTA_EXCEEDED = 'PHONE_QUOTA_EXCEEDED',
  CAPTCHA_REQUIRED = 'CAPTCHA_REQUIRED',
  // part 3
  WECHAT_SNAPSHOT_USER = 'WECHAT_SNAPSHOT_USER',
  REAUTH_PROOF_INVALID = 'REAUTH_PROOF_INVALID',
  QR_LOGIN_INVALID = 'QR_LOGIN_INVALID',
  WEBHOOK_NOT_CONFIGURED = 'WEBHOOK_NOT_CONFIGURED',
  INTERNAL = 'INTERNAL',
}

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'The values of extensions.code on GraphQL errors.',
});

export interface ErrorPolicy {
  /** The same call may succeed later (extensions.retryable). */
  retryable: boolean;
  /** What the caller reads when the thrower gave no better message. */
  message: string;
}

/**
 * Every code's client-facing policy. The switch is exhaustive: a new code does not compile until
 * someone decides whether it is retryable and what it says.
 */
export function errorPolicy(code: ErrorCode): ErrorPolicy {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
      return { retryable: false, message: 'The input is not valid.' };
    case ErrorCode.UNAUTHENTICATED:
      return { retryable: false, message: 'Sign in first.' };
    case ErrorCode.FORBIDDEN:
      return { retryable: false, message: 'Not allowed.' };
    case ErrorCode.USER_BANNED:
      return { retryable: false, message: 'This account is banned.' };
    case ErrorCode.STATE_INVALID:
      return { retryable: false, message: 'The login state is missing, expired or already used. Start again.' };
    case ErrorCode.WECHAT_CODE_INVALID:
      return { retryable: false, message: 'The WeChat authorization code is invalid or already used.' };
    case ErrorCode.WECHAT_UNAVAILABLE:
      return { retryable: true, message: 'WeChat is not answering. Try again shortly.' };
    case ErrorCode.WECHAT_RATE_LIMITED:
      return { retryable: true, message: 'WeChat is limiting requests. Try again shortly.' };
    case ErrorCode.WECHAT_CONFIG_ERROR:
      return { retryable: false, message: 'WeChat login is misconfigured on the server.' };
    case ErrorCode.REAUTH_REQUIRED:
      return { retryable: false, message: 'The WeChat authorization has ended. Authorize again.' };
    case ErrorCode.BIND_TICKET_INVALID:
      return { retryable: false, message: 'The bind ticket is invalid or expired. Log in with WeChat again.' };
    case ErrorCode.SMS_CODE_INVALID:
      return { retryable: false, message: 'The SMS code is not valid.' };
    case ErrorCode.SMS_CODE_LOCKED:
      return { retryable: false, message: 'Too many wrong codes. Request a new code.' };
    case ErrorCode.SMS_RATE_LIMITED:
      return { retryable: true, message: 'Too many SMS codes requested. Wait before asking again.' };
    case ErrorCode.PHONE_NOT_ALLOWED:
      return { retryable: false, message: 'Phone numbers of this country are not accepted.' };
    case ErrorCode.PHONE_ALREADY_BOUND:
      return { retryable: false, message: 'This phone number is bound to another WeChat account.' };
    case ErrorCode.WECHAT_ALREADY_BOUND:
      return { retryable: false, message: 'This WeChat account is bound to another user.' };
    case ErrorCode.LAST_LOGIN_METHOD:
      return { retryable: false, message: 'This is your only way to log in.' };
    case ErrorCode.QUERY_TOO_COMPLEX:
      return { retryable: false, message: 'The query is too complex.' };
    case ErrorCode.TOO_MANY_REQUESTS:
      return { retryable: true, message: 'Too many requests. Slow down.' };
    case ErrorCode.SERVICE_UNAVAILABLE:
      return { retryable: true, message: 'The service is temporarily unavailable. Try again shortly.' };
    case ErrorCode.REDIRECT_URI_NOT_ALLOWED:
      return { retryable: false, message: 'This redirect URI is not allowed for that WeChat app.' };
    case ErrorCode.PROVIDER_NOT_CONFIGURED:
      return { retryable: false, message: 'This login method is not set up on this server.' };
    case ErrorCode.PROVIDER_TOKEN_INVALID:
      return { retryable: false, message: 'The sign-in token or code is invalid, expired or already used.' };
    case ErrorCode.PROVIDER_UNAVAILABLE:
      return { retryable: true, message: 'The sign-in provider is not answering. Try again shortly.' };
    case ErrorCode.CARRIER_TOKEN_INVALID:
      return { retryable: false, message: 'The one-tap token is invalid or expired. Log in with an SMS code.' };
    case ErrorCode.PHONE_QUOTA_EXCEEDED:
      return { retryable: false, message: 'Phone-number sign-in is not available now. Use an SMS code.' };
    case ErrorCode.CAPTCHA_REQUIRED:
      return { retryable: false, message: 'Solve the captcha, then ask for the code again.' };
    case ErrorCode.WECHAT_SNAPSHOT_USER:
      return {
        retryable: false,
        message:
          'You are viewing a snapshot of this page. Tap "use the full service" at the bottom, then log in again.',
      };
    case ErrorCode.REAUTH_PROOF_INVALID:
      return {
        retryable: false,
        message: 'The sign-in proof is invalid, not fresh, already used, or not of this account. Sign in again.',
      };
    case ErrorCode.QR_LOGIN_INVALID:
      return {
        retryable: false,
        message: 'This QR login is unknown, expired, cancelled or already used. Start again.',
      };
    case ErrorCode.WEBHOOK_NOT_CONFIGURED:
      return { retryable: false, message: 'Webhooks are not set up on this server (WEBHOOK_URL).' };
    case ErrorCode.INTERNAL:
      return { retryable: false, message: 'Internal error.' };
    default: {
      const unhandled: never = code;
      throw new Error(`no policy for error code ${String(unhandled)}`);
    }
  }
}
