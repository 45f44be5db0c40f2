import { bool, defineVariables, EnvReader, int, text } from '../env-reader';

// Who may sign in and how: the phone regions accepted, the admins, and whether a new person binds a
// phone before the first session.

/** The sandbox's default ADMIN_PHONES: sign in with it on the playground (code in the SMS outbox). */
export const SANDBOX_ADMIN_PHONE = '+8613800000000';

export const ACCOUNTS_VARIABLES = defineVariables({
  ALLOWED_PHONE_REGIONS: text('ISO countries whose mobile numbers are accepted (default CN)', 'CN'),
  ADMIN_PHONES: text(
    'E.164 phones that hold the admin role, checked on every request (sandbox default +8613800000000)',
  ),
  REQUIRE_PHONE: bool('a new WeChat/Apple/Huawei person binds a phone before the first session (default true)', true),
  QR_LOGIN_TTL_SECONDS: int('how long a QR login code lives, in seconds (default 120)', 120, 30, 600),
  QR_LOGIN_STREAM_INTERVAL_MS: int(
    'how often an open QR login status stream (SSE) reads its row, in ms (default 1000)',
    1000,
    100,
    10_000,
  ),
});
const V = ACCOUNTS_VARIABLES;

export interface AccountsSettings {
  allowedPhoneRegions: string[];
  adminPhones: string[];
  /** A new person must bind a phone before the first session (China's real-name rules). */
  requirePhone: boolean;
  /** QR login (src/qr-login): the code's lifetime, and how often an SSE status stream reads its row. */
  qrLogin: { ttlSeconds: number; streamIntervalMs: number };
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function readAccounts(reader: EnvReader, production: boolean): AccountsSettings {
  const regions = reader
    .text(V.ALLOWED_PHONE_REGIONS)
    .split(',')
    .map((r) => r.trim().toUpperCase());
  if (regions.some((r) => !/^[A-Z]{2}$/.test(r))) {
    reader.problems.push('ALLOWED_PHONE_REGIONS: comma-separated ISO 3166 two-letter codes, e.g. CN,HK');
  }
  // The sandbox has an admin out of the box (the banner names it); production has none unless set.
  const adminPhones = (reader.string(V.ADMIN_PHONES) ?? (production ? '' : SANDBOX_ADMIN_PHONE))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (adminPhones.some((p) => !E164.test(p))) {
    reader.problems.push('ADMIN_PHONES: comma-separated E.164 numbers such as +8613800138000');
  }
  return {
    allowedPhoneRegions: regions,
    adminPhones,
    requirePhone: reader.bool(V.REQUIRE_PHONE),
    qrLogin: {
      ttlSeconds: reader.int(V.QR_LOGIN_TTL_SECONDS),
      streamIntervalMs: reader.int(V.QR_LOGIN_STREAM_INTERVAL_MS),
    },
  };
}
