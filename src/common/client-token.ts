import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';

// Every token and code a provider issues (JWTs, base64, hex, WeChat's and the carriers' codes) is
// printable ASCII without spaces. Anything else (a lone UTF-16 surrogate, control characters) is
// refused before any outbound call: a provider's SDK may throw on it locally, and that must never
// count as the provider failing.
const CLIENT_TOKEN = /^[\x21-\x7E]*$/;

/** A well-formed provider token or code of at most `maxLength` characters (empty allowed: callers say "required"). */
export function isClientToken(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && CLIENT_TOKEN.test(value);
}

/** On an input field carrying a provider's token or code: BAD_USER_INPUT, with the field named, otherwise. */
export const IsClientToken = (maxLength: number): PropertyDecorator =>
  applyDecorators(
    IsString(),
    MaxLength(maxLength),
    Matches(CLIENT_TOKEN, { message: '$property must be printable ASCII, as the provider issued it' }),
  );
