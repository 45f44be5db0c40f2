import type { CountryCode, PhoneNumber } from 'libphonenumber-js/mobile';

// libphonenumber-js with its mobile metadata (75 modules, ~650 kB) is required on the first number
// parsed, not at start: start-up never parses one.
let library: typeof import('libphonenumber-js/mobile') | undefined;

/** libphonenumber-js/mobile's parsePhoneNumberFromString, loaded on first use. */
export function parsePhoneNumberFromString(text: string, defaultCountry?: CountryCode): PhoneNumber | undefined {
  library ??= require('libphonenumber-js/mobile') as typeof import('libphonenumber-js/mobile');
  return library.parsePhoneNumberFromString(text, defaultCountry);
}
