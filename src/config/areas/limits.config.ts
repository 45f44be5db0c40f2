import { defineVariables, EnvReader, int, text } from '../env-reader';
import { isAddressOrCidr } from './http.config';

// Rate limits: the SMS hard limits and budgets (over a budget, a captcha), the general throttle,
// carrier one-tap's own limits, and the trusted sources that skip the per-source budgets.

export const LIMITS_VARIABLES = defineVariables({
  SMS_CODE_TTL_SECONDS: int('an SMS code lives this long (default 300)', 300, 30, 3600),
  SMS_RESEND_SECONDS: int('hard: at most one code per phone this often (default 60)', 60, 1, 3600),
  SMS_PHONE_HARD_PER_DAY: int(
    'hard: at most this many codes per phone in 24 hours, captcha or not (default 30)',
    30,
    1,
    1000,
  ),
  SMS_MAX_ATTEMPTS: int('wrong tries from the asking source that lock a code for it (default 5)', 5, 1, 20),
  SMS_MAX_FOREIGN_ATTEMPTS: int(
    'wrong tries from all other sources that lock a code for them only (default 10)',
    10,
    1,
    1000,
  ),
  SMS_PHONE_KNOWN_PER_DAY: int(
    "hard: sends a day past the daily cap for the phone user's own devices (default 10)",
    10,
    0,
    1000,
  ),
  SMS_VERIFY_IP_PER_HOUR: int('wrong codes per client IP an hour before a captcha (default 100)', 100, 1, 1_000_000),
  SMS_VERIFY_DEVICE_PER_HOUR: int('wrong codes per deviceId an hour before a captcha (default 20)', 20, 1, 1_000_000),
  SMS_PHONE_PER_HOUR: int('budget: codes per phone an hour before a captcha (default 5)', 5, 1, 1000),
  SMS_PHONE_PER_DAY: int('budget: codes per phone in 24 hours before a captcha (default 10)', 10, 1, 1000),
  SMS_IP_PER_MINUTE: int('budget: sends per client IP a minute before a captcha (default 60)', 60, 1, 1_000_000),
  SMS_IP_PER_HOUR: int('budget: sends per client IP an hour before a captcha (default 600)', 600, 1, 1_000_000),
  SMS_DEVICE_PER_HOUR: int('budget: sends per deviceId an hour before a captcha (default 10)', 10, 1, 1_000_000),
  SMS_DEVICE_PER_DAY: int('budget: sends per deviceId in 24 hours before a captcha (default 20)', 20, 1, 1_000_000),
  SMS_PREFIX_DIGITS: int('national digits that make a number prefix, 3: +86 138 (default 3)', 3, 1, 10),
  SMS_PREFIX_PER_HOUR: int(
    'budget: sends per number prefix an hour before a captcha (default 1000)',
    1000,
    1,
    10_000_000,
  ),
  SMS_COUNTRY_PER_HOUR: text(
    'budget: sends per country an hour before a captcha: 5000, or CN:5000,HK:200,*:100 (default 5000)',
    '5000',
  ),
  SMS_GLOBAL_PER_HOUR: int(
    'budget: all sends an hour before everyone needs a captcha (default 10000)',
    10000,
    1,
    100_000_000,
  ),
  THROTTLE_PUBLIC_PER_MINUTE: int(
    'public operations per client IP a minute, shared by all instances (default 600)',
    600,
    1,
    1_000_000,
  ),
  CARRIER_PER_IP_PER_MINUTE: int('carrier one-tap attempts per client IP per minute (default 30)', 30, 1, 100_000),
  CARRIER_PER_DEVICE_PER_HOUR: int('carrier one-tap attempts per deviceId per hour (default 10)', 10, 1, 100_000),
  TRUSTED_SOURCES: text(
    'client addresses/CIDRs (load sources, own probes) that skip the general throttle and the SMS budgets per IP, device, prefix, country and in all; per-phone limits still apply (default: none)',
  ),
});
const V = LIMITS_VARIABLES;

export interface SmsLimits {
  codeTtlSeconds: number;
  /** Hard: at most one code per phone this often, captcha or not. */
  resendSeconds: number;
  /** Hard: no more codes to one phone in 24 hours, captcha or not. */
  phoneHardPerDay: number;
  /** Wrong tries that kill a code for the source that asked for it (its device, else its IP). */
  maxAttempts: number;
  /** Wrong tries from every other source together, after which only the asking source may use the code. */
  maxForeignAttempts: number;
  /** Hard reserve a day for sources known to the owner (a device with a session of the phone's user). */
  phoneKnownPerDay: number;
  /** Verification budgets: wrong codes an hour per IP and per device, then a captcha per try. */
  verifyPerIpPerHour: number;
  verifyPerDevicePerHour: number;
  // Budgets: over one of them, a send needs a solved captcha (CAPTCHA_REQUIRED).
  perPhonePerHour: number;
  perPhonePerDay: number;
  perIpPerMinute: number;
  perIpPerHour: number;
  perDevicePerHour: number;
  perDevicePerDay: number;
  /** National digits after the country code that make a prefix (3: +86 138). */
  prefixDigits: number;
  perPrefixPerHour: number;
  /** Per ISO country; `*` for the others. */
  perCountryPerHour: Record<string, number>;
  globalPerHour: number;
}

export interface LimitsSettings {
  /**
   * Client addresses/CIDRs (load sources, the operator's own probes) that skip the general throttle
   * and the SMS budgets per IP, device, prefix, country and in all; per-phone limits still apply.
   */
  trustedSources: string[];
  throttlePublicPerMinute: number;
  /** Carrier one-tap's own limits (each attempt is billed by the carrier API). */
  carrierLimits: { perIpPerMinute: number; perDevicePerHour: number };
}

export function readSmsLimits(reader: EnvReader): SmsLimits {
  return {
    codeTtlSeconds: reader.int(V.SMS_CODE_TTL_SECONDS),
    resendSeconds: reader.int(V.SMS_RESEND_SECONDS),
    phoneHardPerDay: reader.int(V.SMS_PHONE_HARD_PER_DAY),
    maxAttempts: reader.int(V.SMS_MAX_ATTEMPTS),
    maxForeignAttempts: reader.int(V.SMS_MAX_FOREIGN_ATTEMPTS),
    phoneKnownPerDay: reader.int(V.SMS_PHONE_KNOWN_PER_DAY),
    verifyPerIpPerHour: reader.int(V.SMS_VERIFY_IP_PER_HOUR),
    verifyPerDevicePerHour: reader.int(V.SMS_VERIFY_DEVICE_PER_HOUR),
    perPhonePerHour: reader.int(V.SMS_PHONE_PER_HOUR),
    perPhonePerDay: reader.int(V.SMS_PHONE_PER_DAY),
    perIpPerMinute: reader.int(V.SMS_IP_PER_MINUTE),
    perIpPerHour: reader.int(V.SMS_IP_PER_HOUR),
    perDevicePerHour: reader.int(V.SMS_DEVICE_PER_HOUR),
    perDevicePerDay: reader.int(V.SMS_DEVICE_PER_DAY),
    prefixDigits: reader.int(V.SMS_PREFIX_DIGITS),
    perPrefixPerHour: reader.int(V.SMS_PREFIX_PER_HOUR),
    perCountryPerHour: readCountryBudgets(reader),
    globalPerHour: reader.int(V.SMS_GLOBAL_PER_HOUR),
  };
}

export function readLimits(reader: EnvReader): LimitsSettings {
  return {
    carrierLimits: {
      perIpPerMinute: reader.int(V.CARRIER_PER_IP_PER_MINUTE),
      perDevicePerHour: reader.int(V.CARRIER_PER_DEVICE_PER_HOUR),
    },
    trustedSources: readTrustedSources(reader),
    throttlePublicPerMinute: reader.int(V.THROTTLE_PUBLIC_PER_MINUTE),
  };
}

function readCountryBudgets(reader: EnvReader): Record<string, number> {
  const budgets: Record<string, number> = {};
  for (const entry of reader.text(V.SMS_COUNTRY_PER_HOUR).split(',')) {
    const [country, count] = entry.includes(':') ? entry.trim().split(':') : ['*', entry.trim()];
    const value = Number(count);
    if (!/^([A-Z]{2}|\*)$/.test(country.toUpperCase()) || !Number.isInteger(value) || value < 1) {
      reader.problems.push('SMS_COUNTRY_PER_HOUR: a number, or CC:number pairs such as CN:5000,HK:200,*:100');
      return { '*': 5000 };
    }
    budgets[country.toUpperCase()] = value;
  }
  budgets['*'] ??= 5000;
  return budgets;
}

/** TRUSTED_SOURCES: comma-separated addresses or CIDRs (IPv4 or IPv6); empty by default. */
function readTrustedSources(reader: EnvReader): string[] {
  const raw = reader.string(V.TRUSTED_SOURCES);
  if (raw === undefined) return [];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.some((entry) => !isAddressOrCidr(entry))) {
    reader.problems.push('TRUSTED_SOURCES: comma-separated addresses or CIDRs (127.0.0.1, 10.0.0.0/8, 2001:db8::/32)');
    return [];
  }
  return entries;
}
