import { parsePhoneNumberFromString } from '../common/libphonenumber';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

const MAX_INPUT_LENGTH = 32;
const PLAUSIBLE = /^[+\d\s().-]+$/;

/**
 * Parses what a user typed into E.164, accepting only valid mobile numbers (libphonenumber's mobile
 * metadata) of the allowed countries. Mainland numbers may come without +86.
 * Garbage → BAD_USER_INPUT; a valid mobile number of another country → PHONE_NOT_ALLOWED.
 */
export function parseMobilePhone(input: string, allowedRegions: readonly string[], field = 'phone'): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_INPUT_LENGTH || !PLAUSIBLE.test(input)) {
    throw DomainError.badInput(field, 'not a phone number');
  }
  const parsed = parsePhoneNumberFromString(input, allowedRegions.includes('CN') ? 'CN' : undefined);
  if (!parsed || !parsed.isValid()) {
    throw DomainError.badInput(field, 'not a valid mobile phone number');
  }
  if (!parsed.country || !allowedRegions.includes(parsed.country)) {
    throw new DomainError(ErrorCode.PHONE_NOT_ALLOWED, undefined, { field });
  }
  return parsed.number;
}
