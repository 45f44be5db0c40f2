import { WechatApiError, WechatUnavailableError } from '../wechat-errors';

/** What a refresh failure is stored as (`last_error`): a code, never a message or a token. */
export function errorLabel(error: unknown): string {
  if (error instanceof WechatApiError) return `errcode_${error.errcode}`;
  if (error instanceof WechatUnavailableError) return `unavailable_${error.reason}`;
  return 'error';
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
