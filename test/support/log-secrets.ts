// Whether secrets reached the logs. A secret counts where it stands as a whole token, not inside a
// longer word or number: a random six-digit SMS code is also a piece of many unrelated numbers
// (ports, timestamps, durations, ids), and a substring match failed passing runs now and then.
// Long digit strings (phone numbers) are still found inside longer numbers, as after "+86" or "86".

const TOKEN_CHAR = '[A-Za-z0-9]';
const PHONE_LIKE = /^\+?\d{11,}$/;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pattern that finds `secret` in log text. */
export function secretPattern(secret: string): RegExp {
  if (PHONE_LIKE.test(secret)) return new RegExp(escape(secret));
  return new RegExp(`(?<!${TOKEN_CHAR})${escape(secret)}(?!${TOKEN_CHAR})`);
}

/** The secrets (non-empty) that occur in the log lines; [] when none leaked. */
export function leakedSecrets(logs: readonly string[] | string, secrets: Iterable<string>): string[] {
  const text = typeof logs === 'string' ? logs : logs.join('\n');
  return [...new Set(secrets)].filter((secret) => secret.length > 0 && secretPattern(secret).test(text));
}
