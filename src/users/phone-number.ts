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
  const parsed = parsedMobile(input, allowedRegions.includes('CN') ? 'CN' : undefined);
  if (!parsed) {
    throw DomainError.badInput(field, 'not a valid mobile phone number');
  }
  if (!parsed.country || !allowedRegions.includes(parsed.country)) {
    throw new DomainError(ErrorCode.PHONE_NOT_ALLOWED, undefined, { field });
  }
  return parsed.number;
}

// A login parses the same number twice (sendSmsCode, then loginWithPhone), ~25 µs each: the last
// PARSED_KEPT answers are kept (the oldest goes first).
const PARSED_KEPT = 2048;
const parsedByInput = new Map<string, { number: string; country: string | undefined } | null>();

/** E.164 and country of a valid mobile number, or null. */
function parsedMobile(
  input: string,
  defaultCountry: 'CN' | undefined,
): { number: string; country: string | undefined } | null {
  const key = `${defaultCountry ?? ''}|${input}`;
  const known = parsedByInput.get(key);
  if (known !== undefined) return known;
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  const answer = parsed && parsed.isValid() ? { number: parsed.number as string, country: parsed.country } : null;
  if (parsedByInput.size >= PARSED_KEPT) parsedByInput.delete(parsedByInput.keys().next().value!);
  parsedByInput.set(key, answer);
  return answer;
}
